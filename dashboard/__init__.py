"""The FastAPI application: assembly, lifespan, live feed, pages and the command line."""
