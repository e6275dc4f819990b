"""Authentication: voice PINs with brute-force limits, JWTs for dashboards and REST."""
