"""The server process's life: health, capacity (admission), live sessions, drain, serving."""
