"""Hostile and broken submissions for the red-team suite (tests/meta/test_redteam.py).

``attacks.py`` lists them: each is a copy of solutions/ with one function body
replaced. ``harness.py`` grades them with small budgets and checks that every
run stays bounded and leaves nothing running.
"""
