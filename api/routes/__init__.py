"""HTTP routes: each handler translates the request and calls one service."""
