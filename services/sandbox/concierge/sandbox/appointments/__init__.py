"""Stand-ins for appointment systems: a ZMS-shaped citizen API and a plain HTML portal."""
