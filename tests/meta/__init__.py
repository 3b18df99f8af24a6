"""Tests of the kit itself: the generator, the grader, the catalog, planted bugs."""
