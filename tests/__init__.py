"""The clinicsim test suite."""
