"""What the tampering scan looks for (``tamper/scan.py``): names, calls and patterns.

Each entry is a way a notebook can change how the tests behave from inside the kernel; the
scan reports a hit with the message id of its kind (``autograder/messages.py``, ``scan.*``).
"""

from __future__ import annotations

import builtins
import re

INPUT_TRANSFORMER_ATTRS = {
    "input_transformers_post",
    "input_transformers_cleanup",
    "input_transformer_manager",
    "input_splitter",
}
TRACEBACK_ATTRS = {
    "showtraceback",
    "showsyntaxerror",
    "_showtraceback",
    "showindentationerror",
    "show_usage_error",
    "_get_exc_info",
    "get_exception_only",
    "structured_traceback",
}
RUN_CELL_ATTRS = {
    "run_cell",
    "run_cell_async",
    "run_ast_nodes",
    "run_code",
    "transform_cell",
    "transform_ast",
    "should_run_async",
    "_run_cell",
    "run_cell_magic",
    "ex",
    "ev",
}
SYS_HOOKS = {
    "sys.excepthook",
    "sys.displayhook",
    "sys.breakpointhook",
    "sys.unraisablehook",
    "threading.excepthook",
    "sys.stdout",
    "sys.stderr",
}
TRACE_CALLS = {
    "sys.settrace",
    "sys.setprofile",
    "threading.settrace",
    "threading.setprofile",
    "threading.settrace_all_threads",
    "threading.setprofile_all_threads",
    "sys.addaudithook",
    "sys.monitoring.register_callback",
    "sys.monitoring.use_tool_id",
    "sys.call_tracing",
}
SIGNAL_CALLS = {
    "os.kill",
    "os.killpg",
    "os._exit",
    "os.abort",
    "signal.signal",
    "signal.pthread_kill",
    "signal.setitimer",
    "signal.alarm",
    "signal.raise_signal",
    "signal.siginterrupt",
    "signal.pthread_sigmask",
}
GC_CALLS = {"gc.get_objects", "gc.get_referrers", "gc.get_referents"}
FRAME_CALLS = {
    "sys._getframe",
    "inspect.currentframe",
    "inspect.stack",
    "inspect.getouterframes",
    "sys._current_frames",
}
FRAME_ATTRS = {"f_globals", "f_locals", "f_builtins"}
DYNAMIC_CALLS = {"exec", "eval", "compile", "builtins.exec", "builtins.eval"}
SYS_MODULES_METHODS = {
    "update",
    "pop",
    "setdefault",
    "clear",
    "popitem",
    "__setitem__",
    "__delitem__",
}
CTYPES_MODULES = {"ctypes", "_ctypes", "cffi"}
KERNEL_MODULES = {"zmq", "ipykernel", "jupyter_client", "comm"}
GET_IPYTHON = {"get_ipython", "IPython.get_ipython", "IPython.core.getipython.get_ipython"}
# Assigning an attribute of these is configuration, not patching (pd.options..., plt.rcParams).
CONFIG_PARTS = {"options", "rcParams", "config", "backends", "environ", "defaults"}
# Rebinding these at the top level of a cell changes how the tests behave. Common variable
# names that shadow builtins by accident (sum, max, list...) are left out on purpose.
SHADOWED = {
    "isinstance",
    "issubclass",
    "abs",
    "round",
    "all",
    "any",
    "bool",
    "hasattr",
    "callable",
    "__import__",
    "repr",
} | {
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type)
    and issubclass(getattr(builtins, name), BaseException)
}
SENSITIVE_STRINGS = (
    "input_transformers",
    "ast_transformers",
    "showtraceback",
    "showsyntaxerror",
    "set_custom_exc",
    "settrace",
    "setprofile",
    "sys.modules",
    "__builtins__",
    "builtins.",
    "__eq__",
    "run_cell",
)

REGEX_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "input-transformer",
        re.compile(r"input_transformers_(post|cleanup)|input_transformer_manager"),
        "scan.input_transformer",
    ),
    ("ast-transformer", re.compile(r"\bast_transformers\b"), "scan.ast_transformer"),
    (
        "traceback-override",
        re.compile(r"\b(showtraceback|showsyntaxerror)\s*="),
        "scan.traceback_override",
    ),
    ("custom-exc", re.compile(r"\bset_custom_exc\b"), "scan.custom_exc"),
    ("ipython-events", re.compile(r"\bevents\s*\.\s*register\b"), "scan.ipython_events"),
    (
        "kernel-internals",
        re.compile(r"get_ipython\(\)\s*\.\s*kernel\b|\bimport\s+(zmq|ipykernel)"),
        "scan.kernel_internals",
    ),
    (
        "sys-modules",
        re.compile(r"sys\.modules\s*(\[[^\]]*\]\s*=|\.(update|pop|setdefault)\b)"),
        "scan.sys_modules",
    ),
    ("builtins", re.compile(r"__builtins__|\bbuiltins\.\w+\s*="), "scan.builtins"),
    ("trace", re.compile(r"\b(sys|threading)\.(settrace|setprofile)\b"), "scan.trace"),
    (
        "signals",
        re.compile(r"\bos\.(kill|killpg|_exit)\b|\bsignal\.(signal|alarm|setitimer)\b"),
        "scan.signals",
    ),
    ("eq-override", re.compile(r"\bdef\s+__eq__\b|__eq__\s*="), "scan.eq_override"),
    ("gc", re.compile(r"\bgc\.get_(objects|referrers|referents)\b"), "scan.gc"),
    ("ctypes", re.compile(r"\b(ctypes|cffi)\b"), "scan.ctypes"),
    ("proc", re.compile(r"""['"]/proc\b"""), "scan.proc"),
]
