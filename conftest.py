"""Root pytest configuration shared by the doctests and the test suite."""

# Importing __main__ would run the command line during doctest collection.
collect_ignore = ["embedframe/__main__.py"]
