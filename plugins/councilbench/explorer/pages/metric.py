"""The explorer's Metric explorer page."""

from __future__ import annotations

import streamlit as st

st.title("Metric explorer")
