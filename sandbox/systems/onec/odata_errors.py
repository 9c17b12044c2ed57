"""The errors 1C's standard.odata answers a query it refuses: odata.error.code, message and HTTP status."""

from __future__ import annotations

PARSE_ERROR = "14"  # 1C: the $filter (or another option) does not parse
UNKNOWN_NAME = "6"  # 1C: unknown entity set, segment or field; the name is echoed
NOT_FOUND = "9"  # 1C: "Экземпляр сущности не найден"


class QueryError(Exception):
    """A request 1C refuses; `code` goes into odata.error.code, `status` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def parse_error(message: str) -> QueryError:
    return QueryError(PARSE_ERROR, f"Ошибка разбора выражения: {message}")


def unknown_name(name: str) -> QueryError:
    return QueryError(UNKNOWN_NAME, f"Неизвестное имя: '{name}'")
