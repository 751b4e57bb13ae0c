"""Zalo Official Account adapter: webhook intake, rendering, the OA message API and token refresh."""
