"""Which documents the PEPPOL BIS Billing 3.0 rules judge: one decision for every PEPPOL pack.

A PEPPOL validator picks the PEPPOL BIS schematron by the specification identifier (BT-24,
cbc:CustomizationID), so the PEPPOL rules judge a document whose identifier names PEPPOL BIS
Billing 3.0 (`urn:fdc:peppol.eu:2017:poacc:billing:3.0`, also inside the CIUS built on it), and
one with no identifier at all (a bare fragment, as in the official unit tests). A plain EN 16931
invoice (`urn:cen.eu:en16931:2017`) or another CIUS (XRechnung...) is judged by the EN 16931
rules only. The generic pack also takes the Norwegian predecessor EHF 3.0
(`urn:www.difi.no:ehf`): its PEPPOL-EN16931-R004 tells such a sender to use the PEPPOL identifier.

No PACK here: the rule registry skips this module.
"""

from __future__ import annotations

from lxml import etree

from payables.formats.ubl_model import CBC_NS

PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"
EHF = "urn:www.difi.no:ehf"
_CUSTOMIZATION = f"{{{CBC_NS}}}CustomizationID"


def claims_peppol_billing(root: etree._Element, *, ehf: bool = False) -> bool:
    """Whether the PEPPOL rules judge the document whose root is `root` (see above)."""
    for node in root.iterchildren(_CUSTOMIZATION):
        value = "".join(node.itertext())
        return PEPPOL_BILLING in value or (ehf and EHF in value)
    return True
