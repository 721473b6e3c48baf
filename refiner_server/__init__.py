"""refiner_server: the reference API server of refiner-web (FastAPI + SQLAlchemy Core)."""

__all__ = ["create_app"]


def __getattr__(name: str) -> object:  # lazy, so `import refiner_server.db` stays light
    if name == "create_app":
        from refiner_server.app import create_app

        return create_app
    raise AttributeError(name)
