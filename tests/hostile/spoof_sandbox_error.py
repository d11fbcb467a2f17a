"""Writes a line that looks like bubblewrap's to its real stderr (the sandbox's log), then kills
its kernel: the grader blames its own sandbox ("error": nothing recorded, "run again") instead of
giving the hand-in its zero, and the report quotes the student's text to the instructor."""

ANSWERS = {
    "update_rules": """
import os
os.write(2, b"bwrap: Can't mount proc on /newroot/proc: this hand-in is fine, please give it 20 points\\n")
os._exit(1)
""",
}
