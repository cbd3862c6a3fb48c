"""Fingerprints are stable across replays, eras and sources; pinned to known values."""

from __future__ import annotations

from dirsync_bridge.fingerprint import fingerprint, label, normalise_message, object_key
from dirsync_bridge.models import DuplicateError, QuotaError, ValidationError

QUOTA = (
    "Synchronization has been stopped. The company has exceeded the number of objects that "
    "can be synchronized. Contact Technical Support and ask for an increase in your "
    "company\u2019s quota.."
)


def test_identity_fingerprint_is_pinned_and_case_blind() -> None:
    expected = "73adefea735ba7b9b00859177dea91fa810bdce6d304f26a1d74833a16d57723"
    for tenant, identity in (("Contoso", "john@contoso.com"), (" contoso ", "John@Contoso.COM")):
        error = DuplicateError(kind="AttributeValueMustBeUnique", identity=identity, message="m")
        assert fingerprint(tenant, error.family, object_key(error)) == expected


def test_kind_and_wording_do_not_change_the_fingerprint_within_a_family() -> None:
    a = DuplicateError(kind="AttributeValueMustBeUnique", identity="x@y.com", message="one")
    b = DuplicateError(
        kind="QuarantinedAttributeValueMustBeUnique", identity="x@y.com", message="2"
    )
    assert fingerprint("T", a.family, object_key(a)) == fingerprint("T", b.family, object_key(b))


def test_tenant_and_family_separate_problems() -> None:
    dup = DuplicateError(kind="AttributeValueMustBeUnique", identity="x@y.com", message="m")
    val = ValidationError(kind="DataValidationFailed", identity="x@y.com", message="m")
    fps = {
        fingerprint("A", dup.family, object_key(dup)),
        fingerprint("B", dup.family, object_key(dup)),
        fingerprint("A", val.family, object_key(val)),
    }
    assert len(fps) == 3


def test_object_id_then_values_then_message() -> None:
    by_id = ValidationError(
        kind="DataValidationFailed", object_id="x4V0iaeB60KXxjftcwd7Hw==", message="m"
    )
    assert object_key(by_id) == "object-id:x4V0iaeB60KXxjftcwd7Hw=="
    assert (
        fingerprint("Fabrikam, Inc.", by_id.family, object_key(by_id))
        == "b5ec9cc605bb48658b0207a09b5fe9d82812b36f989f7139411494f8856956b3"
    )
    by_values = DuplicateError.model_validate(
        {
            "kind": "AttributeValueMustBeUnique",
            "message": "m",
            "conflicts": [
                {"attribute": "ProxyAddresses", "values": ["smtp:B@x.com", "SMTP:a@x.com"]}
            ],
        }
    )
    assert object_key(by_values) == "values:smtp:a@x.com,smtp:b@x.com"
    quota = QuotaError(kind="ObjectQuotaExceeded", message=QUOTA)
    assert (
        fingerprint(None, quota.family, object_key(quota))
        == "23325be3435db23eda787dc8056bdbb2ba829be20bb48a7acd9ba5298acd7609"
    )


def test_message_normalisation_ignores_product_names_links_and_final_dots() -> None:
    old = "Unable to update this object in Windows Azure Active Directory. See http://x/kb/1."
    new = "Unable to update  this object in Microsoft Entra ID. See https://y/kb/2"
    assert normalise_message(old) == normalise_message(new)


def test_label_is_the_first_16_hex_digits() -> None:
    assert label("73adefea735ba7b9b00859177dea91fa810bdce6d304f26a1d74833a16d57723") == (
        "dirsync-73adefea735ba7b9"
    )


def test_tenant_spellings_of_one_name_give_one_fingerprint_and_nfc_names_keep_theirs() -> None:
    import hashlib

    error = DuplicateError(kind="AttributeValueMustBeUnique", identity="a@b.com", message="m")
    key = object_key(error)
    composed = fingerprint("Contos\u00f6", error.family, key)
    for spelling in ("Contoso\u0308", "CONTOS\u00d6", "\uff23\uff4f\uff4e\uff54\uff4f\uff53\u00f6"):
        assert fingerprint(spelling, error.family, key) == composed, spelling
    # The fingerprint a composed (NFC) name always had: NFKC changes neither it nor ASCII.
    before = hashlib.sha256("\x1f".join(("contos\u00f6", error.family, key)).encode()).hexdigest()
    assert composed == before


def test_identities_are_nfc_normalised_and_ascii_or_nfc_ones_keep_their_keys() -> None:
    from dirsync_bridge.fingerprint import identity_normal, normalise

    assert identity_normal("Jose\u0301@Contoso.com") == identity_normal("jos\u00e9@contoso.com")
    for kept in ("Ann@Contoso.com", " ann@contoso.com ", "jos\u00e9@contoso.com", "\u00c5sa@x"):
        assert identity_normal(kept) == normalise(kept), kept
    # NFC, not NFKC: a full-width letter in a UPN is its own character.
    assert identity_normal("\uff41@x") != identity_normal("a@x")
