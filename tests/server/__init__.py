"""API tests against a real database (see conftest.py)."""
