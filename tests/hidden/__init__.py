"""Hidden checks: graded where the instructor grades (batch, Gradescope, PrairieLearn), never in a handout."""
