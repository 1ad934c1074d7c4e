import CZeroMQ

/// Text of a NUL-terminated C buffer.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A CURVE key pair in Z85 text (40 characters each).
package struct CurveKeyPair: Sendable, Equatable {
    package let publicKey: String
    package let secretKey: String

    /// A new random key pair (libsodium through libzmq).
    package static func generate() throws(ZeroMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZeroMQError("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: text(publicKey), secretKey: text(secretKey))
    }

    /// The pair whose secret key is `secretKey` (Z85); throws if it is not a valid key.
    package init(secretKey: String) throws(ZeroMQError) {
        guard secretKey.utf8.count == 40 else { throw ZeroMQError("zmq_curve_public", code: EINVAL) }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw ZeroMQError("zmq_curve_public") }
        self.init(publicKey: text(publicKey), secretKey: secretKey)
    }

    init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Z85 text of 32 raw key bytes.
    package static func z85(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var encoded = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&encoded, bytes, 32) != nil else { return nil }
        return text(encoded)
    }
}

extension Socket {
    private func setText(_ option: Int32, _ text: String) throws(ZeroMQError) {
        let bytes = Array(text.utf8)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZeroMQError("zmq_setsockopt") }
    }

    /// Makes this socket a CURVE server with `keys`; clients are checked by the ZAP handler.
    package func makeCurveServer(_ keys: CurveKeyPair, zapDomain: String) throws(ZeroMQError) {
        var one: Int32 = 1
        if zmq_setsockopt(handle, ZMQ_CURVE_SERVER, &one, MemoryLayout<Int32>.size) != 0 {
            throw ZeroMQError("zmq_setsockopt ZMQ_CURVE_SERVER")
        }
        try setText(ZMQ_CURVE_SECRETKEY, keys.secretKey)
        try setText(ZMQ_ZAP_DOMAIN, zapDomain)
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`.
    package func makeCurveClient(_ keys: CurveKeyPair, serverKey: String) throws(ZeroMQError) {
        try setText(ZMQ_CURVE_SERVERKEY, serverKey)
        try setText(ZMQ_CURVE_PUBLICKEY, keys.publicKey)
        try setText(ZMQ_CURVE_SECRETKEY, keys.secretKey)
    }
}
