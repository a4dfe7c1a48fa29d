"""The explorer's Submissions page."""

from __future__ import annotations

import streamlit as st

st.title("Submissions")
