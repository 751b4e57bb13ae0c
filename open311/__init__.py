"""Open311 GeoReport v2, read-only: the office's feedback as open data (categories are services, tickets are
service requests). No anonymous ticket, no personal data, a place only when the citizen agreed, rounded."""
