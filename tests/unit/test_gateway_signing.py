"""The Gateway client's signing and wire protocol, against an in-process fake Gateway gRPC server
that verifies every signature the way a peer does (P-256, SHA-256, DER, low-S only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_event_pb2,
    chaincode_pb2,
    proposal_pb2,
    proposal_response_pb2,
    transaction_pb2,
)

from fabric.gateway import (
    P256_ORDER,
    CommitError,
    ConnectionProfile,
    Gateway,
    GatewayError,
    Identity,
    build_proposal,
    low_s,
    transaction_id,
)


def make_msp(folder: Path, common_name: str = "User1@bank.blocktrade.local") -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (folder / "signcerts").mkdir(parents=True)
    (folder / "keystore").mkdir()
    (folder / "signcerts" / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "keystore" / "priv_sk").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder


@pytest.fixture
def identity(tmp_path: Path) -> Identity:
    return Identity.from_msp_folder("BankMSP", make_msp(tmp_path / "msp"))


def verify_as_peer(serialized_creator: bytes, message: bytes, signature: bytes) -> None:
    """What a peer checks: the creator's certificate verifies the signature, and S is low."""
    creator = identities_pb2.SerializedIdentity.FromString(serialized_creator)
    public = x509.load_pem_x509_certificate(creator.id_bytes).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    _, s = decode_dss_signature(signature)
    if s > P256_ORDER // 2:
        raise InvalidSignature("high-S signature")
    public.verify(signature, message, ec.ECDSA(hashes.SHA256()))


# --------------------------------------------------------------------------- signing


def test_low_s_flips_a_high_s_and_keeps_it_valid(identity: Identity) -> None:
    message = b"examination P-1"
    raw = identity.private_key.sign(message, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(raw)
    high = encode_dss_signature(r, s if s > P256_ORDER // 2 else P256_ORDER - s)
    fixed = low_s(high)
    assert decode_dss_signature(fixed) == (r, min(s, P256_ORDER - s))
    identity.private_key.public_key().verify(fixed, message, ec.ECDSA(hashes.SHA256()))
    assert low_s(fixed) == fixed


def test_every_signature_is_low_s_and_verifies(identity: Identity) -> None:
    for i in range(64):  # about half of raw ECDSA signatures are high-S
        message = f"tx {i}".encode()
        verify_as_peer(identity.serialized(), message, identity.sign(message))


def test_proposal_fields_and_transaction_id(identity: Identity) -> None:
    nonce = bytes(range(24))
    proposal = build_proposal(identity, "trade-finance", "blocktrade", "lc:Fire", ["LC-1", "issue", ""], nonce=nonce)
    assert proposal.tx_id == hashlib.sha256(nonce + identity.serialized()).hexdigest()
    assert proposal.tx_id == transaction_id(nonce, identity.serialized())
    inner = proposal_pb2.Proposal.FromString(proposal.signed.proposal_bytes)
    header = common_pb2.Header.FromString(inner.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    assert (channel_header.channel_id, channel_header.tx_id) == ("trade-finance", proposal.tx_id)
    assert channel_header.type == common_pb2.HeaderType.ENDORSER_TRANSACTION
    assert signature_header.nonce == nonce and signature_header.creator == identity.serialized()
    ext = proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension)
    assert ext.chaincode_id.name == "blocktrade"
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(inner.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    assert list(spec.input.args) == [b"lc:Fire", b"LC-1", b"issue", b""]
    verify_as_peer(signature_header.creator, proposal.signed.proposal_bytes, proposal.signed.signature)


def test_fresh_nonce_gives_fresh_transaction_ids(identity: Identity) -> None:
    ids = {build_proposal(identity, "c", "cc", "f", []).tx_id for _ in range(20)}
    assert len(ids) == 20


def test_msp_folder_problems_name_the_folder(tmp_path: Path) -> None:
    folder = make_msp(tmp_path / "msp")
    (folder / "keystore" / "priv_sk").unlink()
    with pytest.raises(ValueError, match=r"keystore: expected one private key, found 0"):
        Identity.from_msp_folder("BankMSP", folder)
    (folder / "keystore" / "priv_sk").write_text("not a key")
    with pytest.raises(ValueError, match=r"priv_sk: not a PEM private key"):
        Identity.from_msp_folder("BankMSP", folder)


def test_connection_profile_fails_closed(tmp_path: Path) -> None:
    good = tmp_path / "profile.json"
    good.write_text(json.dumps({"endpoint": "127.0.0.1:7051", "retries": 1}))
    assert ConnectionProfile.load(good).retries == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"endpoint": "127.0.0.1:7051", "retrys": 5}))
    with pytest.raises(ValueError, match=r"bad\.json: unknown field\(s\) retrys"):
        ConnectionProfile.load(bad)
    bad.write_text('{"endpoint":\n')
    with pytest.raises(ValueError, match=r"bad\.json:2: not valid JSON"):
        ConnectionProfile.load(bad)


# --------------------------------------------------------------------------- a fake gateway


class FakeGateway(gateway_pb2_grpc.GatewayServicer):
    """Verifies signatures like a peer, 'commits' submitted envelopes into numbered blocks."""

    def __init__(self) -> None:
        self.ledger: dict[str, str] = {}
        self.committed: dict[str, int] = {}
        self.events: list[tuple[int, str, str, bytes]] = []
        self.unavailable_once: set[str] = set()
        self.invalid: set[str] = set()

    def _check(self, signed: proposal_pb2.SignedProposal) -> tuple[str, list[bytes], bytes]:
        inner = proposal_pb2.Proposal.FromString(signed.proposal_bytes)
        header = common_pb2.Header.FromString(inner.header)
        sig_header = common_pb2.SignatureHeader.FromString(header.signature_header)
        verify_as_peer(sig_header.creator, signed.proposal_bytes, signed.signature)
        channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
        assert channel_header.tx_id == hashlib.sha256(sig_header.nonce + sig_header.creator).hexdigest()
        payload = proposal_pb2.ChaincodeProposalPayload.FromString(inner.payload)
        args = list(chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec.input.args)
        return channel_header.tx_id, args, inner.header

    def _maybe_unavailable(self, name: str, context: Any) -> None:
        if name in self.unavailable_once:
            self.unavailable_once.discard(name)
            context.abort(grpc.StatusCode.UNAVAILABLE, "peer restarting")

    def Evaluate(self, request: Any, context: Any) -> Any:
        self._maybe_unavailable("evaluate", context)
        _, args, _ = self._check(request.proposed_transaction)
        value = self.ledger.get(args[1].decode())
        if value is None:
            context.abort(grpc.StatusCode.UNKNOWN, f"evaluate call to endorser returned error: {args[1].decode()} does not exist")
        return gateway_pb2.EvaluateResponse(result=proposal_response_pb2.Response(status=200, payload=value.encode()))

    def Endorse(self, request: Any, context: Any) -> Any:
        self._maybe_unavailable("endorse", context)
        tx_id, args, header = self._check(request.proposed_transaction)
        if args[2] == b"forbidden":
            context.abort(grpc.StatusCode.ABORTED, "failed to endorse transaction, see attached details for more info")
        result = json.dumps({"id": args[1].decode(), "to": args[2].decode()}).encode()
        action = transaction_pb2.ChaincodeActionPayload(action=transaction_pb2.ChaincodeEndorsedAction(
            proposal_response_payload=proposal_response_pb2.ProposalResponsePayload(
                extension=proposal_pb2.ChaincodeAction(
                    response=proposal_response_pb2.Response(status=200, payload=result),
                    events=chaincode_event_pb2.ChaincodeEvent(tx_id=tx_id, event_name="lifecycle",
                                                              payload=result).SerializeToString(),
                ).SerializeToString()).SerializeToString()))
        tx = transaction_pb2.Transaction(actions=[transaction_pb2.TransactionAction(payload=action.SerializeToString())])
        payload = common_pb2.Payload(header=common_pb2.Header.FromString(header), data=tx.SerializeToString())
        return gateway_pb2.EndorseResponse(prepared_transaction=common_pb2.Envelope(payload=payload.SerializeToString()))

    def Submit(self, request: Any, context: Any) -> Any:
        envelope = request.prepared_transaction
        payload = common_pb2.Payload.FromString(envelope.payload)
        creator = common_pb2.SignatureHeader.FromString(payload.header.signature_header).creator
        verify_as_peer(creator, envelope.payload, envelope.signature)
        if request.transaction_id in self.committed:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "duplicate transaction id")
        block = len(self.committed) + 1
        self.committed[request.transaction_id] = block
        result = _result_of(envelope)
        doc = json.loads(result)
        self.ledger[doc["id"]] = doc["to"]
        self.events.append((block, request.transaction_id, "lifecycle", result))
        return gateway_pb2.SubmitResponse()

    def CommitStatus(self, request: Any, context: Any) -> Any:
        inner = gateway_pb2.CommitStatusRequest.FromString(request.request)
        verify_as_peer(inner.identity, request.request, request.signature)
        code = 11 if inner.transaction_id in self.invalid else 0  # 11 = MVCC_READ_CONFLICT
        return gateway_pb2.CommitStatusResponse(result=code, block_number=self.committed[inner.transaction_id])

    def ChaincodeEvents(self, request: Any, context: Any) -> Iterator[Any]:
        inner = gateway_pb2.ChaincodeEventsRequest.FromString(request.request)
        verify_as_peer(inner.identity, request.request, request.signature)
        start = inner.start_position.specified.number
        for block, tx_id, name, payload in self.events:
            if block >= start:
                yield gateway_pb2.ChaincodeEventsResponse(block_number=block, events=[
                    chaincode_event_pb2.ChaincodeEvent(tx_id=tx_id, event_name=name, payload=payload,
                                                       chaincode_id=inner.chaincode_id)])


def _result_of(envelope: common_pb2.Envelope) -> bytes:
    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload)
    return proposal_pb2.ChaincodeAction.FromString(prp.extension).response.payload


@pytest.fixture
def fake() -> Iterator[tuple[FakeGateway, str]]:
    servicer = FakeGateway()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    gateway_pb2_grpc.add_GatewayServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(grace=None)


def test_submit_commit_evaluate_and_events(fake: tuple[FakeGateway, str], identity: Identity) -> None:
    servicer, endpoint = fake
    with Gateway(ConnectionProfile(endpoint=endpoint, retry_backoff=0.01), identity) as gw:
        first = gw.submit("lc:Fire", "LC-1", "issued")
        second = gw.submit("lc:Fire", "LC-2", "draft")
        assert json.loads(first.result) == {"id": "LC-1", "to": "issued"}
        assert (first.block_number, second.block_number) == (1, 2)
        assert gw.evaluate("lc:Get", "LC-1") == b"issued"
        events = list(gw.events(start_block=2, timeout=2))
        assert [(e.block_number, e.tx_id, e.json()["id"]) for e in events] == [(2, second.tx_id, "LC-2")]
    assert servicer.ledger == {"LC-1": "issued", "LC-2": "draft"}


def test_chaincode_error_reaches_the_caller(fake: tuple[FakeGateway, str], identity: Identity) -> None:
    _, endpoint = fake
    with Gateway(ConnectionProfile(endpoint=endpoint, retry_backoff=0.01), identity) as gw:
        with pytest.raises(GatewayError) as info:
            gw.evaluate("lc:Get", "LC-404")
        assert info.value.status == "UNKNOWN" and info.value.message.endswith("LC-404 does not exist")
        with pytest.raises(GatewayError) as info:
            gw.submit("lc:Fire", "LC-1", "forbidden")
        assert info.value.operation == "endorse" and info.value.status == "ABORTED"


def test_unavailable_is_retried_with_the_same_transaction(fake: tuple[FakeGateway, str], identity: Identity) -> None:
    servicer, endpoint = fake
    servicer.unavailable_once = {"endorse"}
    with Gateway(ConnectionProfile(endpoint=endpoint, retry_backoff=0.01), identity) as gw:
        result = gw.submit("lc:Fire", "LC-7", "issued")
    assert list(servicer.committed) == [result.tx_id]


def test_commit_status_reports_an_invalid_validation_code(fake: tuple[FakeGateway, str], identity: Identity) -> None:
    servicer, endpoint = fake
    with Gateway(ConnectionProfile(endpoint=endpoint), identity) as gw:
        done = gw.submit("lc:Fire", "LC-8", "issued", wait=False)
        servicer.invalid.add(done.tx_id)
        assert gw.commit_status(done.tx_id) == (11, 1)


def test_unreachable_peer_fails_after_retries(identity: Identity) -> None:
    profile = ConnectionProfile(endpoint="127.0.0.1:1", retries=1, retry_backoff=0.01, evaluate_timeout=1)
    with Gateway(profile, identity) as gw, pytest.raises(GatewayError) as info:
        gw.evaluate("lc:Get", "LC-1")
    assert info.value.status == "UNAVAILABLE"


def test_commit_error_names_transaction() -> None:
    assert str(CommitError("abc", 11)) == "transaction abc committed as invalid (validation code 11)"
