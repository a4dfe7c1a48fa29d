"""The explorer's Check a file before sending it page."""

from __future__ import annotations

import streamlit as st

st.title("Check a file before sending it")
