"""The explorer's pages: small scripts that Streamlit runs (app.py's navigation)."""
