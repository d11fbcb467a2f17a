"""Looks for the grader's secrets: its environment (the seed of the hidden inputs, database URLs),
other processes' environments and command lines, the course's secret file."""

REPORTS = ["SECRET-FOUND"]
ANSWERS = {
    "update_rules": """
import glob, os
for key, value in os.environ.items():
    if key.startswith("NMF_KIT") or "postgres" in value or "SEED" in key:
        print("SECRET-FOUND env", key)
for path in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
    try:
        text = open(path, "rb").read().decode(errors="replace")
    except OSError:
        continue
    if "NMF_KIT_SEED" in text or "nbgrader" in text:
        print("SECRET-FOUND process", path)
for root in ("/home", "/root", "/tmp", "/work", "/srv", "/var"):
    try:
        for path in glob.glob(root + "/**/.nmf-kit/secret", recursive=True)[:5]:
            print("SECRET-FOUND file", path)
    except OSError as exc:
        print("cannot search", root, type(exc).__name__)
print("snooped", len(os.environ), "variables")
""",
}
