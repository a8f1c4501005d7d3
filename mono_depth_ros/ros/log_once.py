"""`LogOnce`: bad input is logged once per kind (key) until it is cleared, not once per frame."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LogOnce"]


class LogOnce:
    """Logs a message for a key the first time only, until `clear(key)` (e.g. when good input returns).

    `logger` is an rclpy logger (`node.get_logger()`) or anything with info/warning/error methods.
    """

    def __init__(self, logger: Any) -> None:
        self._logger = logger
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def _first(self, key: str) -> bool:
        with self._lock:
            if key in self._logged:
                return False
            self._logged.add(key)
            return True

    def info(self, key: str, message: str) -> bool:
        """Log `message` at info level unless `key` was logged; whether it was logged now."""
        if not self._first(key):
            return False
        self._logger.info(message)
        return True

    def warn(self, key: str, message: str) -> bool:
        """Log `message` as a warning unless `key` was logged; whether it was logged now."""
        if not self._first(key):
            return False
        self._logger.warning(message)
        return True

    def error(self, key: str, message: str) -> bool:
        """Log `message` as an error unless `key` was logged; whether it was logged now."""
        if not self._first(key):
            return False
        self._logger.error(message)
        return True

    def active(self, key: str) -> bool:
        """Whether `key` was logged and not cleared since."""
        with self._lock:
            return key in self._logged

    def clear(self, key: str) -> bool:
        """Allow `key` to be logged again; whether it had been logged."""
        with self._lock:
            if key in self._logged:
                self._logged.discard(key)
                return True
            return False
