//! Signatures on Keiho's CAP 1.2 messages: an enveloped XML-DSig `Signature` as the
//! last child of `<alert>` (CAP 1.2 §3.3.2.1), made with the deployment's key.
//!
//! # The signature
//!
//! One fixed profile, written by [`sign_cap`] and the only one [`verify_cap`] accepts:
//!
//! - `Reference URI=""` (the whole message) with the enveloped-signature transform
//!   then Exclusive C14N 1.0 without comments, digested with SHA-256;
//! - `SignedInfo` canonicalized with Exclusive C14N and signed with ECDSA over P-256
//!   and SHA-256 (`http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`, the value
//!   being `r || s`, 64 bytes, as XML-DSig 1.1 says);
//! - `KeyInfo/KeyValue/dsig11:ECKeyValue` carrying the public key, so a receiver can
//!   see which key signed; it is not a certificate and proves nothing by itself.
//!
//! The canonicalizer is this crate's own (the private `c14n` module), for the subset
//! Keiho writes: no DTD, no comments, no processing instructions (refused, not
//! guessed). `.ci/run` checks every message the tests sign with `xmlsec1`, an
//! independent implementation, and checks that a tampered copy fails there too.
//!
//! # The key
//!
//! ECDSA P-256, chosen over RSA for small signatures and because the `rsa` crate
//! still carries an open timing advisory (RUSTSEC-2023-0071). The server keeps it in
//! its data folder with [`load_or_create_key`] (PKCS#8 PEM, mode 0600, created on first
//! start) and publishes [`SigningKey::public_key_pem`] so receivers can verify:
//!
//! ```text
//! xmlsec1 --verify --pubkey-pem keiho-signing.pub message.xml
//! ```
//!
//! Receivers must get the public key out of band (the deployment's web site, a
//! certificate): the `KeyValue` inside a message is not to be trusted on its own.
//! [`verify_cap`] is given the trusted key and refuses a message whose `KeyValue`
//! names another. Replacing the key means publishing the new public key first.

mod c14n;
mod key;

pub use c14n::XmlError;
pub use key::{KeyError, KeyFileError, SigningKey, load_or_create_key};
pub use p256::elliptic_curve::zeroize::Zeroizing;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use c14n::{Element, Node};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest as _, Sha256};

/// The CAP 1.2 namespace.
const CAP_NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// XML-DSig's namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const DSIG11_NS: &str = "http://www.w3.org/2009/xmldsig11#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// NIST P-256 (secp256r1, prime256v1) as the URN of its object identifier.
const P256_URN: &str = "urn:oid:1.2.840.10045.3.1.7";

/// Why a message could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The input is not XML this crate can canonicalize.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The root element is not a CAP 1.2 `alert`.
    #[error("the root element is not a CAP 1.2 alert")]
    NotCap,
    /// The alert already carries a signature.
    #[error("the alert is already signed")]
    AlreadySigned,
    /// The key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The signed message did not verify (a bug in this crate; nothing was issued).
    #[error("the signed message does not verify: {0}")]
    SelfCheck(#[from] VerifyError),
}

/// Why a signed message was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The input is not XML this crate can canonicalize.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The root element is not a CAP 1.2 `alert`.
    #[error("the root element is not a CAP 1.2 alert")]
    NotCap,
    /// The trusted public key is not a P-256 SubjectPublicKeyInfo PEM.
    #[error("the trusted public key is not a P-256 public key in PEM: {0}")]
    PublicKey(String),
    /// No XML-DSig `Signature` as the alert's last child.
    #[error("no XML-DSig Signature as the last child of the alert")]
    Unsigned,
    /// More than one `Signature` in the alert.
    #[error("more than one Signature in the alert")]
    SeveralSignatures,
    /// The message changed after it was signed.
    #[error("the message was changed after signing (digest mismatch)")]
    DigestMismatch,
    /// The signature names a key other than the trusted one.
    #[error("the message was signed with another key than the trusted one")]
    OtherKey,
    /// The `Signature` element is not the profile Keiho writes (algorithms, reference,
    /// layout) or was edited.
    #[error("the Signature element is not Keiho's profile or was altered")]
    Profile,
    /// The `SignatureValue` is not base64 of 64 bytes.
    #[error("malformed SignatureValue: {0}")]
    SignatureValue(String),
    /// The signature does not match `SignedInfo` and the trusted key.
    #[error("the signature is not valid for the trusted key")]
    BadSignature,
}

/// `xml` (a CAP 1.2 message as `keiho_alert::cap::to_xml` writes it) with an enveloped
/// signature by `key` as the last child of `<alert>`. The rest of the text is kept
/// byte for byte; the signed result is verified before it is returned.
pub fn sign_cap(xml: &str, key: &SigningKey) -> Result<String, SignError> {
    let doc = c14n::parse(xml)?;
    if !is_cap_alert(&doc.root) {
        return Err(SignError::NotCap);
    }
    if doc
        .root
        .elements()
        .any(|e| is_dsig(e, &doc.root, "Signature"))
    {
        return Err(SignError::AlreadySigned);
    }
    // After the root's end tag only whitespace may follow (comments and processing
    // instructions are refused), so the last `</` starts it.
    let at = xml
        .rfind("</")
        .ok_or(XmlError::Malformed("no end tag".into()))?;
    let (head, tail) = xml.split_at(at);
    // Keep the writer's indentation: the whitespace around the Signature is part of
    // the alert's text, so it is in place before the digest is taken.
    let (indent, newline) = if head.ends_with('\n') {
        ("  ", "\n")
    } else {
        ("", "")
    };
    let unsigned = c14n::parse(&format!("{head}{indent}{newline}{tail}"))?;
    let digest = digest_base64(&unsigned.root)?;
    let point = key::public_point_base64(key.inner.verifying_key());

    let signed_info = canonical_signed_info(&digest)?;
    let signature: p256::ecdsa::Signature = key.inner.sign(signed_info.as_bytes());
    let value = BASE64.encode(signature.to_bytes());
    let signature_xml = signature_element(&digest, &value, &point);
    let signed = format!("{head}{indent}{signature_xml}{newline}{tail}");

    verify_with(&signed, key.inner.verifying_key())?;
    Ok(signed)
}

/// Check that `xml` carries a valid Keiho signature by the key in `public_key_pem`
/// (SubjectPublicKeyInfo PEM). Any change to the message after signing, inside or
/// outside the `Signature`, whitespace included, makes this fail.
pub fn verify_cap(xml: &str, public_key_pem: &str) -> Result<(), VerifyError> {
    let key = p256::ecdsa::VerifyingKey::from_public_key_pem(public_key_pem)
        .map_err(|e| VerifyError::PublicKey(e.to_string()))?;
    verify_with(xml, &key)
}

fn verify_with(xml: &str, key: &p256::ecdsa::VerifyingKey) -> Result<(), VerifyError> {
    let doc = c14n::parse(xml)?;
    let root = &doc.root;
    if !is_cap_alert(root) {
        return Err(VerifyError::NotCap);
    }
    let signatures = root
        .elements()
        .filter(|e| is_dsig(e, root, "Signature"))
        .count();
    if signatures > 1 {
        return Err(VerifyError::SeveralSignatures);
    }
    let signature = match root.elements().last() {
        Some(e) if signatures == 1 && is_dsig(e, root, "Signature") => e,
        _ => return Err(VerifyError::Unsigned),
    };

    // The enveloped-signature transform: the alert without its Signature element.
    let mut unsigned = root.clone();
    unsigned
        .children
        .retain(|n| !matches!(n, Node::Element(e) if e == signature));
    let digest = digest_base64(&unsigned)?;
    let stated = signature.find("DigestValue").map(Element::text);
    if stated.as_deref().map(str::trim) != Some(digest.as_str()) {
        return Err(VerifyError::DigestMismatch);
    }
    let point = key::public_point_base64(key);
    if let Some(named) = signature.find("PublicKey").map(Element::text) {
        if named.trim() != point {
            return Err(VerifyError::OtherKey);
        }
    }
    let value = signature
        .find("SignatureValue")
        .map(Element::text)
        .ok_or(VerifyError::Profile)?;

    // The whole Signature must be exactly what Keiho writes for this digest, key and
    // value: this pins every algorithm, the reference and the transforms.
    let mut scope = root.ns_decls.clone();
    let actual = c14n::canonicalize(signature, &scope)?;
    let expected_doc = c14n::parse(&signature_element(&digest, value.trim(), &point))?;
    if actual != c14n::canonicalize(&expected_doc.root, &[])? {
        return Err(VerifyError::Profile);
    }

    let signed_info = signature
        .elements()
        .find(|e| e.split_name().1 == "SignedInfo")
        .ok_or(VerifyError::Profile)?;
    scope.extend(signature.ns_decls.iter().cloned());
    let signed_info = c14n::canonicalize(signed_info, &scope)?;
    let bytes = BASE64
        .decode(value.trim())
        .map_err(|e| VerifyError::SignatureValue(e.to_string()))?;
    let signature = p256::ecdsa::Signature::from_slice(&bytes)
        .map_err(|e| VerifyError::SignatureValue(e.to_string()))?;
    key.verify(signed_info.as_bytes(), &signature)
        .map_err(|_| VerifyError::BadSignature)
}

fn is_cap_alert(root: &Element) -> bool {
    let (prefix, local) = root.split_name();
    local == "alert" && c14n::resolve(&root.ns_decls, prefix) == Some(CAP_NS)
}

/// Whether `e`, a child of `root`, is the XML-DSig element `local`.
fn is_dsig(e: &Element, root: &Element, local: &str) -> bool {
    let (prefix, name) = e.split_name();
    let mut scope = root.ns_decls.clone();
    scope.extend(e.ns_decls.iter().cloned());
    name == local && c14n::resolve(&scope, prefix) == Some(DSIG_NS)
}

fn digest_base64(root: &Element) -> Result<String, XmlError> {
    let canonical = c14n::canonicalize(root, &[])?;
    Ok(BASE64.encode(Sha256::digest(canonical.as_bytes())))
}

fn signed_info_element(digest: &str) -> String {
    format!(
        "<SignedInfo>\
<CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
<SignatureMethod Algorithm=\"{ECDSA_SHA256}\"/>\
<Reference URI=\"\">\
<Transforms>\
<Transform Algorithm=\"{ENVELOPED}\"/>\
<Transform Algorithm=\"{EXC_C14N}\"/>\
</Transforms>\
<DigestMethod Algorithm=\"{SHA256}\"/>\
<DigestValue>{digest}</DigestValue>\
</Reference>\
</SignedInfo>"
    )
}

/// The Signature element Keiho writes. One line: whitespace inside `SignedInfo`
/// would be signed too, and operators do not need to read it.
fn signature_element(digest: &str, value: &str, point: &str) -> String {
    format!(
        "<Signature xmlns=\"{DSIG_NS}\">{}\
<SignatureValue>{value}</SignatureValue>\
<KeyInfo><KeyValue><dsig11:ECKeyValue xmlns:dsig11=\"{DSIG11_NS}\">\
<dsig11:NamedCurve URI=\"{P256_URN}\"/>\
<dsig11:PublicKey>{point}</dsig11:PublicKey>\
</dsig11:ECKeyValue></KeyValue></KeyInfo>\
</Signature>",
        signed_info_element(digest)
    )
}

/// `SignedInfo` in canonical form, as it stands inside the Signature element.
fn canonical_signed_info(digest: &str) -> Result<String, XmlError> {
    let signature = c14n::parse(&signature_element(digest, "", ""))?;
    let signed_info = signature
        .root
        .elements()
        .next()
        .ok_or(XmlError::Malformed("no SignedInfo".into()))?;
    c14n::canonicalize(signed_info, &signature.root.ns_decls)
}
