"""The grader's command line.

    python -m grader                       # grade exercises/
    python -m grader --help                # every command
"""
import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
