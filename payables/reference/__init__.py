"""Reference data: what rules look up (vendor master, POs, FX rates, earlier invoices)."""

from payables.reference.lookup import (
    ExistingInvoice,
    PurchaseOrderRef,
    ReferenceLookup,
    VendorRef,
)
from payables.reference.memory import MemoryReference

__all__ = [
    "ExistingInvoice",
    "MemoryReference",
    "PurchaseOrderRef",
    "ReferenceLookup",
    "VendorRef",
]
