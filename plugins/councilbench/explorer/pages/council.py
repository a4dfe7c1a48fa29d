"""The explorer's Council profile page."""

from __future__ import annotations

import streamlit as st

st.title("Council profile")
