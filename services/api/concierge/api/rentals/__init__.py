"""The rentals desk (short-term rentals on Avito): check-in extraction so far."""
