"""The ``DnatRule`` kind: one DNAT rule on one provider's NAT gateway.

A DnatRule holds ``providerConfigRef``, the policies, and exactly one
provider block (``spec.<block>``). The envelope is shared; the blocks are
the providers' own models, declared in each provider's package and put
together by :func:`dnat_rule_spec`, so that adding a provider edits no
field list here and the "exactly one block" rules name every block there is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, create_model, model_validator
from pydantic.alias_generators import to_camel

from cloudnet.api.common import (
    DeletionPolicy,
    LocalObjectReference,
    ManagementPolicy,
    Model,
    cel,
    immutable,
)


@dataclass(frozen=True, kw_only=True)
class Block:
    """One provider's block of a kind: ``spec.<field>``, validated by ``model``."""

    #: the Python attribute (snake_case); the wire name is its lowerCamelCase
    field: str
    model: type[Model]
    #: the ProviderConfig's ``provider`` a resource with this block must name
    provider: str
    description: str

    @property
    def alias(self) -> str:
        return to_camel(self.field)


def _one_block(blocks: Sequence[Block]) -> dict[str, str]:
    names = [b.alias for b in blocks]
    return cel(
        "[" + ", ".join(f"has(self.{n})" for n in names) + "].filter(x, x).size() == 1",
        "exactly one provider block is required: " + ", ".join(f"spec.{n}" for n in names),
    )


def _same_block(blocks: Sequence[Block]) -> dict[str, str]:
    return cel(
        " && ".join(f"has(self.{b.alias}) == has(oldSelf.{b.alias})" for b in blocks),
        "the provider block cannot change: delete this DnatRule and create a new one",
    )


class DnatRuleSpecBase(Model):
    """What every DnatRule holds besides its provider block, and how the block is found."""

    #: the provider blocks, set by :func:`dnat_rule_spec`
    blocks: ClassVar[tuple[Block, ...]] = ()

    provider_config_ref: LocalObjectReference = Field(
        description=(
            "The ProviderConfig, in this resource's namespace, that says which cloud. Immutable: "
            "another account or region would hold another rule."
        ),
        json_schema_extra=immutable("providerConfigRef"),
    )
    deletion_policy: Literal["Delete", "Orphan"] | None = Field(
        default=None,
        description=(
            "Delete (the default) deletes the cloud rule with the resource; Orphan leaves it."
        ),
    )
    management_policy: Literal["Manage", "ObserveOnly"] | None = Field(
        default=None,
        description=(
            "Manage (the default) creates and corrects the cloud rule; ObserveOnly never "
            "writes to the cloud and only reports what it holds."
        ),
    )

    @model_validator(mode="after")
    def _one_provider(self) -> Self:
        if sum(getattr(self, b.field) is not None for b in self.blocks) != 1:
            raise ValueError(_one_block(self.blocks)["message"])
        return self

    @property
    def block(self) -> Block:
        """The block this rule sets (the validator made sure there is exactly one)."""
        return next(b for b in self.blocks if getattr(self, b.field) is not None)

    @property
    def block_spec(self) -> Any:
        """The provider's own model of the rule: what its provider is handed."""
        return getattr(self, self.block.field)

    @property
    def effective_deletion_policy(self) -> DeletionPolicy:
        return DeletionPolicy(self.deletion_policy or DeletionPolicy.DELETE)

    @property
    def effective_management_policy(self) -> ManagementPolicy:
        return ManagementPolicy(self.management_policy or ManagementPolicy.MANAGE)


def dnat_rule_spec(blocks: Sequence[Block]) -> type[DnatRuleSpecBase]:
    """The DnatRule spec model with one optional field per provider block, in this order."""
    if not blocks:
        raise ValueError("a DnatRule needs at least one provider block")
    fields: dict[str, Any] = {
        b.field: (b.model | None, Field(default=None, description=b.description)) for b in blocks
    }
    model = create_model(
        "DnatRuleSpec",
        __base__=DnatRuleSpecBase,
        __module__=__name__,
        __doc__="What the user asks for: which provider, the rule, and the policies.",
        **fields,
    )
    model.blocks = tuple(blocks)
    model.cel_rules = [_one_block(blocks), _same_block(blocks)]
    return model
