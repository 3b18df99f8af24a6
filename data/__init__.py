"""Data sets of the curriculum: the CS231n spirals (``data.spiral.make_spirals``)."""
