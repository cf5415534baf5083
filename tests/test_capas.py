"""The import graph is a clean stack: geo/ folders import only from the folders below them, no
file imports itself through a loop, geo/ imports nothing of api/ or etl/, and etl/ nothing of
api/. Read from the source with ``ast``, so it holds for imports inside functions too."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parents[1]
# Bottom to top; folders on one floor do not import each other.
PISOS = [
    {"plataforma"},
    {"vocabulario"},
    {"acceso"},
    {"territorio", "formatos"},
    {"registro", "reclamos"},
    {"analisis"},
    {"publicacion"},
]
PISO = {carpeta: n for n, piso in enumerate(PISOS) for carpeta in piso}


def _modulo(archivo: Path) -> str:
    partes = archivo.relative_to(RAIZ).with_suffix("").parts
    return ".".join(partes[:-1] if partes[-1] == "__init__" else partes)


def _importa(archivo: Path) -> set[str]:
    arbol = ast.parse(archivo.read_text(encoding="utf-8"))
    nombres: set[str] = set()
    for nodo in ast.walk(arbol):
        if isinstance(nodo, ast.Import):
            nombres |= {a.name for a in nodo.names}
        elif isinstance(nodo, ast.ImportFrom) and nodo.module and nodo.level == 0:
            nombres.add(nodo.module)
            nombres |= {f"{nodo.module}.{a.name}" for a in nodo.names}
    return {n for n in nombres if n.split(".")[0] in ("geo", "api", "etl", "web")}


def _grafo() -> dict[str, set[str]]:
    archivos = [
        p
        for carpeta in ("geo", "api", "etl")
        for p in (RAIZ / carpeta).rglob("*.py")
        if "migrations" not in p.parts
    ]
    modulos = {_modulo(p): p for p in archivos}
    return {m: {n for n in _importa(p) if n in modulos and n != m} for m, p in modulos.items()}


def _piso(modulo: str) -> int | None:
    partes = modulo.split(".")
    return PISO.get(partes[1]) if partes[0] == "geo" and len(partes) > 2 else None


def test_every_geo_module_lives_in_a_named_folder():
    sueltos = [p.name for p in (RAIZ / "geo").glob("*.py") if p.name != "__init__.py"]
    assert sueltos == []
    carpetas = {p.name for p in (RAIZ / "geo").iterdir() if (p / "__init__.py").exists()}
    assert carpetas == set(PISO)


def test_geo_folders_import_only_downwards():
    arriba = [
        f"{m} -> {n}"
        for m, importados in _grafo().items()
        for n in importados
        if (a := _piso(m)) is not None and (b := _piso(n)) is not None and b > a
    ]
    assert arriba == []
    del_mismo_piso = [
        f"{m} -> {n}"
        for m, importados in _grafo().items()
        for n in importados
        if _piso(m) is not None and _piso(m) == _piso(n) and m.split(".")[1] != n.split(".")[1]
    ]
    assert del_mismo_piso == []


@pytest.mark.parametrize(
    ("capa", "prohibidas"), [("geo", ("api.", "etl.", "web.")), ("etl", ("api.", "web."))]
)
def test_lower_layers_never_import_upper_ones(capa, prohibidas):
    malos = [
        f"{m} -> {n}"
        for m, importados in _grafo().items()
        if m.startswith(capa + ".")
        for n in importados
        if n.startswith(prohibidas)
    ]
    assert malos == []


def test_no_import_loop_between_files():
    try:
        orden = list(TopologicalSorter(_grafo()).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message names the loop
        pytest.fail(f"import loop: {' -> '.join(exc.args[1])}")
    assert orden.index("geo.plataforma.errors") < orden.index("api.main")
