"""As root, the executor runs as ``nobody`` when that user can run the interpreter.

This needs an interpreter outside root's home, with numpy and pytest: `.ci/run`
makes one (a venv of the system Python in /opt) and names it in
SOPHIA_UNPRIVILEGED_PYTHON. Elsewhere the test is skipped, and says why.
"""
import os
import subprocess

import pytest

from tests.meta.planting import plant

PYTHON = os.environ.get("SOPHIA_UNPRIVILEGED_PYTHON")
PROBE = ('        import os\n        print("uid", os.getuid())\n'
         '        open({readme!r}).read()\n        self.cache = x\n')


@pytest.mark.skipif(os.getuid() != 0 or not PYTHON,
                    reason="needs root and SOPHIA_UNPRIVILEGED_PYTHON (see .ci/run)")
def test_executor_runs_as_nobody_and_cannot_read_the_kit(tmp_path):
    from grader.implementation import ROOT
    folder = plant(tmp_path, "layers", "        self.cache = x\n",
                   PROBE.format(readme=str(ROOT / "README.md")))
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    done = subprocess.run([PYTHON, "-m", "grader", "check", "linear", "--submission", str(folder)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "uid 65534" in done.stdout, done.stdout + done.stderr
    assert "Permission denied" in done.stdout and "README.md" in done.stdout, done.stdout
