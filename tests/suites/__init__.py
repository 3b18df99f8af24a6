"""The graded check suites: every test carries ``@pytest.mark.exercise(ID)`` from grader/catalog.toml."""
