"""The extension points orgunits offers the layers above it (the contract is in
`leadvibe.extension_points`).

`ORG_UNIT_CREATED` runs in the transaction that creates an OU: higher layers set up their part
of it (scoring's default levels) without orgunits importing them.
"""

from dataclasses import dataclass

from leadvibe.extension_points import ExtensionPoint
from orgunits.models import OrgUnit


@dataclass(frozen=True, slots=True)
class OrgUnitCreated:
    unit: OrgUnit


ORG_UNIT_CREATED: ExtensionPoint[OrgUnitCreated] = ExtensionPoint(
    "org_unit_created", order=("scoring",)
)
