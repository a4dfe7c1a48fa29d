"""The explorer's Open data page."""

from __future__ import annotations

import streamlit as st

st.title("Open data")
