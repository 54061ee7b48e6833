import CDNNL

/// A oneDNN memory: a descriptor (shape and layout) and a buffer, either oneDNN's own
/// (`allocate`) or one of ours that `point(at:)` names before each call.
final class OneDNNMemory {
    let handle: dnnl_memory_t
    let descriptor: dnnl_memory_desc_t

    init(_ descriptor: dnnl_memory_desc_t, _ context: OneDNNContext, allocate: Bool, what: String) throws {
        var md = descriptor
        var handle: dnnl_memory_t?
        try dnnlCheck(dnnl_memory_create(&handle, &md, context.engine, allocate ? cdnnl_memory_allocate() : nil),
                      "creating the memory of \(what)")
        guard let handle else { throw OneDNNError(operation: "creating the memory of \(what)", status: "no memory") }
        self.handle = handle
        self.descriptor = descriptor
    }

    deinit { dnnl_memory_destroy(handle) }

    /// Makes the memory read or write `pointer` (our buffer, in this memory's layout).
    func point(at pointer: UnsafeRawPointer) throws {
        try dnnlCheck(dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: pointer)),
                      "pointing a memory at a buffer")
    }

    /// Whether `other` has the same shape and layout.
    func hasLayout(_ other: dnnl_memory_desc_t) -> Bool {
        Self.equal(descriptor, other)
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var (a, b) = (a, b)
        return dnnl_memory_desc_equal(&a, &b) != 0
    }
}

/// A primitive descriptor and its primitive, destroyed together.
final class OneDNNPrimitive {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// What it computes, for error messages.
    let what: String

    /// Creates the primitive of an operation descriptor (`operation` points at a
    /// dnnl_convolution_desc_t or the like), with a forward pass as the hint of a
    /// backward one.
    convenience init(operation: UnsafeRawPointer, attributes: dnnl_primitive_attr_t? = nil, hint: OneDNNPrimitive? = nil,
         _ context: OneDNNContext, what: String) throws {
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pd, operation, attributes, context.engine, hint?.descriptor),
                      "choosing an implementation of \(what)")
        try self.init(descriptor: pd, what: what)
    }

    /// A reorder: copies a tensor from one layout into another.
    convenience init(reorderFrom from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, _ context: OneDNNContext,
                     what: String) throws {
        var (from, to) = (from, to)
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &from, context.engine, &to, context.engine, nil),
                      "choosing a reorder for \(what)")
        try self.init(descriptor: pd, what: what)
    }

    private init(descriptor pd: dnnl_primitive_desc_t?, what: String) throws {
        guard let pd else { throw OneDNNError(operation: "describing \(what)", status: "no descriptor") }
        var primitive: dnnl_primitive_t?
        let status = dnnl_primitive_create(&primitive, pd)
        guard status == dnnl_success, let primitive else {
            dnnl_primitive_desc_destroy(pd)
            try dnnlCheck(status, "creating \(what)")
            throw OneDNNError(operation: "creating \(what)", status: "no primitive")
        }
        self.descriptor = pd
        self.primitive = primitive
        self.what = what
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The layout the primitive wants for execution argument `argument` (DNNL_ARG_...).
    func layout(of argument: Int32) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, dnnl_query_exec_arg_md, argument).pointee
    }

    /// The implementation oneDNN chose, e.g. "brgconv:avx512_core".
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return "?" }
        return String(cString: name)
    }
}
