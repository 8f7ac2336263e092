"""The publicity services (公示): every write is here, checked, in one transaction, with one audit event."""

from echelon.publicity.services.publications import (
    AlreadyHandled,
    approver_error,
    publication_approve,
    publication_create,
    publication_return,
    publication_submit,
    publication_update,
    publication_withdraw,
)

__all__ = [
    "AlreadyHandled",
    "approver_error",
    "publication_approve",
    "publication_create",
    "publication_return",
    "publication_submit",
    "publication_update",
    "publication_withdraw",
]
