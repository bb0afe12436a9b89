"""One line on what each IR instruction does, in our own words, with its LangRef section."""

from __future__ import annotations

LANGREF = "https://llvm.org/docs/LangRef.html"

OPCODES: dict[str, str] = {
    # Terminators
    "ret": "Leaves the function, handing back a value unless the function returns void.",
    "br": "Jumps to one block, or to one of two chosen by an i1 condition.",
    "switch": "Jumps to the block whose case constant equals the integer operand, else to the default.",
    "indirectbr": "Jumps to a block address computed at run time, one of a listed set.",
    "invoke": "Calls a function; continues at the normal block, or at the unwind block if it throws.",
    "callbr": "Calls (usually inline asm) that may continue at the default or one of the indirect blocks.",
    "resume": "Continues propagating an exception that a landing pad caught.",
    "catchswitch": "Chooses among catch handlers for an exception (funclet-based EH).",
    "catchret": "Ends a catch handler and continues at a normal block.",
    "cleanupret": "Ends a cleanup handler, unwinding further or to the caller.",
    "unreachable": "Marks a point control never reaches; reaching it is undefined behaviour.",
    # Unary and binary arithmetic
    "fneg": "Negates a floating-point value (flips its sign bit).",
    "add": "Integer addition, wrapping unless nuw/nsw says overflow is poison.",
    "fadd": "Floating-point addition.",
    "sub": "Integer subtraction, wrapping unless nuw/nsw says overflow is poison.",
    "fsub": "Floating-point subtraction.",
    "mul": "Integer multiplication, low bits kept, nuw/nsw as for add.",
    "fmul": "Floating-point multiplication.",
    "udiv": "Unsigned integer division; dividing by zero is undefined behaviour.",
    "sdiv": "Signed integer division, rounding toward zero; /0 and INT_MIN/-1 are undefined.",
    "fdiv": "Floating-point division.",
    "urem": "Unsigned integer remainder.",
    "srem": "Signed integer remainder, with the sign of the dividend.",
    "frem": "Floating-point remainder, with the sign of the dividend (like C fmod).",
    # Bitwise
    "shl": "Shifts bits left; a shift by the bit width or more gives poison.",
    "lshr": "Shifts bits right, filling with zeros.",
    "ashr": "Shifts bits right, filling with copies of the sign bit.",
    "and": "Bitwise and.",
    "or": "Bitwise or; with disjoint, no bit may be set in both operands.",
    "xor": "Bitwise exclusive or; xor with -1 is bitwise not.",
    # Vectors and aggregates
    "extractelement": "Reads one lane of a vector.",
    "insertelement": "Gives a vector with one lane replaced.",
    "shufflevector": "Builds a vector from lanes of two vectors picked by a constant mask.",
    "extractvalue": "Reads a field of a struct or an element of an array value.",
    "insertvalue": "Gives a struct or array value with one member replaced.",
    # Memory
    "alloca": "Reserves memory in the current stack frame, freed when the function returns.",
    "load": "Reads a value of the given type from memory.",
    "store": "Writes a value to memory.",
    "fence": "Orders memory operations between threads.",
    "cmpxchg": "Atomically replaces memory if it holds the expected value; gives the old value and success.",
    "atomicrmw": "Atomically reads, modifies (add, xchg, max, ...) and writes memory; gives the old value.",
    "getelementptr": "Computes an address from a base pointer and indices; touches no memory.",
    # Conversions
    "trunc": "Drops the high bits of an integer.",
    "zext": "Widens an integer, filling with zeros.",
    "sext": "Widens an integer, filling with copies of the sign bit.",
    "fptrunc": "Converts to a narrower floating-point type.",
    "fpext": "Converts to a wider floating-point type.",
    "fptoui": "Converts a floating-point value to an unsigned integer (poison if out of range).",
    "fptosi": "Converts a floating-point value to a signed integer (poison if out of range).",
    "uitofp": "Converts an unsigned integer to floating point.",
    "sitofp": "Converts a signed integer to floating point.",
    "ptrtoint": "Turns a pointer into an integer.",
    "inttoptr": "Turns an integer into a pointer.",
    "bitcast": "Reinterprets the bits as another type of the same size.",
    "addrspacecast": "Converts a pointer to another address space.",
    # Other
    "icmp": "Compares integers or pointers by a predicate (eq, ne, slt, ult, ...), giving i1.",
    "fcmp": "Compares floating-point values by a predicate (oeq, olt, une, ...), giving i1.",
    "phi": "Picks a value according to the block control came from; sits at a block's start.",
    "select": "Picks one of two values by an i1 condition, without branching.",
    "freeze": "Stops undef and poison from spreading: gives a fixed but arbitrary value instead.",
    "call": "Calls a function (or inline asm) and gives its result.",
    "va_arg": "Reads the next variadic argument from a va_list.",
    "landingpad": "Receives an exception at the unwind destination of an invoke.",
    "catchpad": "Starts a catch handler chosen by a catchswitch.",
    "cleanuppad": "Starts a cleanup handler run while unwinding.",
}


def describe(opcode: str) -> tuple[str, str] | None:
    """The one-line meaning of ``opcode`` and the link to its LangRef section."""
    meaning = OPCODES.get(opcode)
    if meaning is None:
        return None
    return meaning, f"{LANGREF}#i-{opcode.replace('_', '-')}"
