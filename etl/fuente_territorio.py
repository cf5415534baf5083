"""Reading and validating a municipal boundary file before anything is written.

Accepts whatever GDAL reads through pyogrio (GeoJSON, GeoPackage, Shapefile, zipped Shapefile)
with a field mapping, so an office can load its own official file. Every problem is collected and
reported together; geometries that are invalid are repaired with ``make_valid`` and listed.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pydantic import BaseModel, ValidationError
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo.plataforma.errors import ErrorCargaTerritorio

# Bolivia's extent with a margin: a file outside it has the wrong CRS or swapped axes.
BOLIVIA_BOUNDS = (-70.5, -23.5, -57.0, -9.0)


class MapeoCampos(BaseModel):
    """Which field of the source file holds each attribute (None: not in the file)."""

    codigo: str = "cod_ine"
    nombre: str = "municipio"
    provincia_codigo: str | None = "cod_prov"
    provincia_nombre: str = "provincia"
    departamento_codigo: str | None = "cod_dep"
    departamento_nombre: str = "departamento"
    codigo_2012: str | None = None
    pob_2012: str | None = "pob_2012"
    urbana_2012: str | None = "urbana_2012"
    rural_2012: str | None = "rural_2012"
    pob_2024: str | None = "pob_2024"

    def con(self, pares: list[str]) -> MapeoCampos:
        """This mapping with ``clave=CAMPO`` overrides (``clave=`` removes a field)."""
        cambios: dict[str, str | None] = {}
        for par in pares:
            clave, sep, campo = par.partition("=")
            if not sep or clave not in MapeoCampos.model_fields:
                validas = ", ".join(MapeoCampos.model_fields)
                raise ErrorCargaTerritorio(
                    [f"--campo '{par}': use clave=CAMPO con clave en {validas}"]
                )
            cambios[clave] = campo or None
        try:
            return MapeoCampos.model_validate(self.model_dump() | cambios)
        except ValidationError as exc:
            raise ErrorCargaTerritorio([f"mapeo de campos inválido: {exc}"]) from exc

    @classmethod
    def desde_json(cls, path: Path) -> MapeoCampos:
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise ErrorCargaTerritorio([f"mapeo {path}: {exc}"]) from exc


@dataclass(frozen=True)
class FuenteTerritorio:
    cartografia: str
    descripcion: str
    municipios: Path
    mapeo: MapeoCampos = field(default_factory=MapeoCampos)
    capa: str | None = None
    cuerpos_agua: Path | None = None


ARCHIVOS_POR_DEFECTO = {
    "2012": (
        "bol_municipios_2012_339.geojson",
        MapeoCampos(),
        "INE, cartografía municipal 2012 (339 municipios), CNPV 2012 y CPV 2024",
    ),
    "2024": (
        "bol_municipios_2024_343.geojson",
        MapeoCampos(codigo_2012="cod_ine_2012"),
        "INE, cartografía CPV 2024 (343 unidades, con las TIOC)",
    ),
}
LAGOS = "bol_lagos_salares_cpv2024.geojson"


def fuente_por_defecto(directorio: Path, cartografia: str) -> FuenteTerritorio:
    if cartografia not in ARCHIVOS_POR_DEFECTO:
        conocidas = ", ".join(ARCHIVOS_POR_DEFECTO)
        raise ErrorCargaTerritorio(
            [f"cartografía '{cartografia}' sin archivo por defecto ({conocidas}): use --archivo"]
        )
    nombre, mapeo, descripcion = ARCHIVOS_POR_DEFECTO[cartografia]
    archivo = directorio / nombre
    if not archivo.exists():
        raise ErrorCargaTerritorio(
            [f"no se encontró {archivo}. Indique la carpeta con --source o SIGG_BOUNDARIES_DIR"]
        )
    lagos = directorio / LAGOS
    return FuenteTerritorio(
        cartografia=cartografia,
        descripcion=descripcion,
        municipios=archivo,
        mapeo=mapeo,
        cuerpos_agua=lagos if lagos.exists() else None,
    )


@dataclass(frozen=True)
class ReglasTerritorio:
    """What the project authors in data/municipios/: units, exceptions, expected counts."""

    unidades: list[dict[str, str]]
    asignaciones: dict[str, str]  # cod_ine -> unit code, for municipalities off their dept's unit
    conteos: dict[str, dict[str, tuple[int, int]]]  # version -> dept -> (municipios, provincias)
    # INE code (6 digits: municipality, 4: province) -> (name in the INE file, corrected name).
    nombres: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def desde_directorio(cls, directorio: Path) -> ReglasTerritorio:
        unidades = _leer_csv(directorio / "unidades_operativas.csv")
        filas = _leer_csv(directorio / "municipios_unidad_operativa.csv")
        repetidos = [c for c, n in Counter(f["cod_ine"] for f in filas).items() if n > 1]
        if repetidos:
            raise ErrorCargaTerritorio(
                [f"municipios_unidad_operativa.csv: {', '.join(repetidos)} aparece más de una vez"]
            )
        conteos: dict[str, dict[str, tuple[int, int]]] = {}
        for fila in _leer_csv(directorio / "conteos_esperados.csv"):
            conteos.setdefault(fila["cartografia"], {})[fila["departamento_codigo"]] = (
                int(fila["municipios"]),
                int(fila["provincias"]),
            )
        return cls(
            unidades,
            {f["cod_ine"]: f["unidad_operativa"] for f in filas},
            conteos,
            _leer_nombres(directorio / "nombres_corregidos.csv"),
        )


def _leer_nombres(path: Path) -> dict[str, tuple[str, str]]:
    """The name corrections (optional file): each code once, each row with both names."""
    if not path.exists():
        return {}
    filas = _leer_csv(path)
    errores = [
        f"{path.name}, fila {i}: código '{f['codigo']}' no es de municipio (6 dígitos) ni de "
        "provincia (4)"
        for i, f in enumerate(filas, start=2)
        if not re.fullmatch(r"\d{4}|\d{6}", f["codigo"])
    ]
    errores += [
        f"{path.name}, fila {i}: falta nombre_ine o nombre_corregido"
        for i, f in enumerate(filas, start=2)
        if not (f["nombre_ine"] and f["nombre_corregido"])
    ]
    repetidos = [c for c, n in Counter(f["codigo"] for f in filas).items() if n > 1]
    errores += [f"{path.name}: {c} aparece más de una vez" for c in repetidos]
    if errores:
        raise ErrorCargaTerritorio(errores)
    return {f["codigo"]: (f["nombre_ine"], f["nombre_corregido"]) for f in filas}


def _leer_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return [{k: (v or "").strip() for k, v in fila.items()} for fila in csv.DictReader(fh)]
    except OSError as exc:
        raise ErrorCargaTerritorio([f"no se pudo leer {path}: {exc}"]) from exc


@dataclass
class ReporteCarga:
    cartografia: str
    fuente: str
    municipios: int = 0
    provincias: int = 0
    departamentos: int = 0
    unidades_operativas: int = 0
    cuerpos_agua: int = 0
    reproyectado_desde: str | None = None
    reparadas: list[dict[str, str]] = field(default_factory=list)
    codigos_completados: list[str] = field(default_factory=list)
    nombres_corregidos: list[str] = field(default_factory=list)
    avisos: list[str] = field(default_factory=list)

    def como_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def leer_capa(path: Path, capa: str | None = None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise ErrorCargaTerritorio([f"el archivo {path} no existe"])
    try:
        return gpd.read_file(path, layer=capa, engine="pyogrio")
    except Exception as exc:  # GDAL raises many kinds; all mean "cannot read this file"
        raise ErrorCargaTerritorio([f"no se pudo leer {path}: {exc}"]) from exc


def a_wgs84(gdf: gpd.GeoDataFrame, nombre: str, reporte: ReporteCarga | None) -> gpd.GeoDataFrame:
    """Check the CRS and reproject to EPSG:4326 when needed (reported)."""
    if gdf.crs is None:
        raise ErrorCargaTerritorio(
            [f"{nombre}: el archivo no declara su sistema de referencia (SRID/CRS)"]
        )
    if gdf.crs.to_epsg() != 4326:
        if reporte is not None:
            reporte.reproyectado_desde = gdf.crs.to_string()
        gdf = gdf.to_crs(4326)
    return gdf


def reparar(geom: BaseGeometry | None) -> tuple[MultiPolygon | None, str | None]:
    """The geometry as a valid MultiPolygon, and what was wrong with it (None if nothing)."""
    if geom is None or geom.is_empty:
        return None, "geometría vacía"
    motivo = None
    if not geom.is_valid:
        motivo = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
    poligonos = [
        g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    partes = [p for g in poligonos for p in getattr(g, "geoms", [g])]
    if not partes:
        return None, f"sin partes poligonales ({geom.geom_type})"
    return MultiPolygon(partes), motivo


def _codigo(valor: Any, largo: int) -> str:
    """An INE code as text, restoring the leading zeros a spreadsheet or DBF drops."""
    if valor is None or (isinstance(valor, float) and pd.isna(valor)):
        return ""
    texto = str(valor).strip()
    if texto.endswith(".0") and texto[:-2].isdigit():
        texto = texto[:-2]
    return texto.zfill(largo) if texto.isdigit() else texto


def _entero(valor: Any) -> int | None:
    if valor is None or pd.isna(valor):
        return None
    return int(round(float(valor)))


def preparar_municipios(
    gdf: gpd.GeoDataFrame, fuente: FuenteTerritorio, reglas: ReglasTerritorio, reporte: ReporteCarga
) -> gpd.GeoDataFrame:
    """Map, check and repair the municipal layer. Raises with every problem found."""
    mapeo = fuente.mapeo
    gdf = a_wgs84(gdf, fuente.municipios.name, reporte)
    faltan = [
        f"{clave}={campo}"
        for clave, campo in mapeo.model_dump().items()
        if campo is not None and campo not in gdf.columns
    ]
    if faltan:
        disponibles = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise ErrorCargaTerritorio(
            [
                f"campos ausentes en {fuente.municipios.name}: {', '.join(faltan)} "
                f"(campos del archivo: {disponibles})"
            ]
        )
    errores: list[str] = []
    filas = [_fila(registro, mapeo, reporte, errores) for registro in gdf.to_dict("records")]
    out = gpd.GeoDataFrame(filas, geometry="geom", crs=4326)
    errores += _revisar_codigos(out)
    errores += _revisar_extension(out)
    errores += _revisar_conteos(out, reglas.conteos.get(fuente.cartografia), reporte)
    errores += _asignar_unidades(out, reglas)
    if errores:
        raise ErrorCargaTerritorio(errores)
    _corregir_nombres(out, reglas.nombres, reporte)
    return out


def _corregir_nombres(
    df: gpd.GeoDataFrame, nombres: dict[str, tuple[str, str]], reporte: ReporteCarga
) -> None:
    """Apply data/municipios/nombres_corregidos.csv, keeping the file's own name beside it.

    A correction applies only where the file still carries the name it was written for: a file
    that already spells the name otherwise (a new INE release, an office's own file) is left as
    it is and the stale row is reported, never silently overwritten."""

    def corregir(codigos: pd.Series, fuente: pd.Series) -> list[str]:
        return [
            nombres[c][1] if c in nombres and nombres[c][0] == n else n
            for c, n in zip(codigos, fuente, strict=True)
        ]

    df["nombre_fuente"] = df["nombre"]
    df["provincia_nombre_fuente"] = df["provincia_nombre"]
    df["nombre"] = corregir(df["codigo"], df["nombre_fuente"])
    df["provincia_nombre"] = corregir(df["provincia_codigo"], df["provincia_nombre_fuente"])
    en_archivo = dict(zip(df["codigo"], df["nombre_fuente"], strict=True)) | dict(
        zip(df["provincia_codigo"], df["provincia_nombre_fuente"], strict=True)
    )
    reporte.nombres_corregidos = sorted(
        c for c, (ine, _) in nombres.items() if en_archivo.get(c) == ine
    )
    reporte.avisos += [
        f"nombres_corregidos.csv: {c} se llama '{en_archivo[c]}' en el archivo, no "
        f"'{ine}': corrección no aplicada"
        for c, (ine, _) in sorted(nombres.items())
        if c in en_archivo and en_archivo[c] != ine
    ]


def _fila(
    r: dict[str, Any], m: MapeoCampos, reporte: ReporteCarga, errores: list[str]
) -> dict[str, Any]:
    bruto = r[m.codigo]
    codigo = _codigo(bruto, 6)
    if codigo != str(bruto).strip():
        reporte.codigos_completados.append(codigo)
    nombre = str(r[m.nombre] or "").strip()
    geom, motivo = reparar(r.get("geometry"))
    if geom is None:
        errores.append(f"municipio {codigo} ({nombre}): {motivo}")
    elif motivo:
        reporte.reparadas.append({"codigo": codigo, "nombre": nombre, "motivo": motivo})
    return {
        "codigo": codigo,
        "nombre": nombre,
        "provincia_codigo": _codigo(r[m.provincia_codigo], 4) if m.provincia_codigo else codigo[:4],
        "provincia_nombre": str(r[m.provincia_nombre] or "").strip(),
        "departamento_codigo": (
            _codigo(r[m.departamento_codigo], 2) if m.departamento_codigo else codigo[:2]
        ),
        "departamento_nombre": str(r[m.departamento_nombre] or "").strip(),
        "codigo_2012": _codigo(r[m.codigo_2012], 6) or None if m.codigo_2012 else None,
        **{
            k: _entero(r[getattr(m, k)]) if getattr(m, k) else None
            for k in ("pob_2012", "urbana_2012", "rural_2012", "pob_2024")
        },
        "geom": geom,
    }


def _revisar_codigos(df: gpd.GeoDataFrame) -> list[str]:
    errores = []
    malos = df[~df["codigo"].str.fullmatch(r"\d{6}")]
    errores += [
        f"código '{c}' ({n}): no es un código INE de 6 dígitos"
        for c, n in zip(malos["codigo"], malos["nombre"], strict=True)
    ]
    repetidos = df["codigo"][df["codigo"].duplicated()].unique()
    errores += [
        f"código {c} repetido ({', '.join(df.loc[df['codigo'] == c, 'nombre'])})" for c in repetidos
    ]
    sin_nombre = df[df["nombre"] == ""]["codigo"]
    errores += [f"municipio {c}: sin nombre" for c in sin_nombre]
    incoherentes = df[
        (df["codigo"].str[:4] != df["provincia_codigo"])
        | (df["codigo"].str[:2] != df["departamento_codigo"])
    ]
    errores += [
        f"municipio {c}: su código no empieza por su provincia {p} / departamento {d}"
        for c, p, d in zip(
            incoherentes["codigo"],
            incoherentes["provincia_codigo"],
            incoherentes["departamento_codigo"],
            strict=True,
        )
    ]
    for nivel in ("provincia", "departamento"):
        nombres = df.groupby(f"{nivel}_codigo")[f"{nivel}_nombre"].nunique()
        errores += [
            f"{nivel} {c}: más de un nombre en el archivo" for c in nombres[nombres > 1].index
        ]
    return errores


def _revisar_extension(df: gpd.GeoDataFrame) -> list[str]:
    xmin, ymin, xmax, ymax = BOLIVIA_BOUNDS
    b = df.geometry.bounds
    fuera = df[(b.minx < xmin) | (b.maxx > xmax) | (b.miny < ymin) | (b.maxy > ymax)]
    return [
        f"municipio {c} ({n}): fuera de la extensión de Bolivia; ¿sistema de referencia "
        "equivocado o coordenadas invertidas?"
        for c, n in zip(fuera["codigo"], fuera["nombre"], strict=True)
    ]


def _revisar_conteos(
    df: gpd.GeoDataFrame, esperados: dict[str, tuple[int, int]] | None, reporte: ReporteCarga
) -> list[str]:
    if not esperados:
        reporte.avisos.append(f"sin conteos esperados para la cartografía {reporte.cartografia}")
        return []
    hallados = df.groupby("departamento_codigo").agg(
        municipios=("codigo", "size"), provincias=("provincia_codigo", "nunique")
    )
    errores = []
    for dep in sorted(set(esperados) | set(hallados.index)):
        esperado = esperados.get(dep, (0, 0))
        hallado = tuple(int(v) for v in hallados.loc[dep]) if dep in hallados.index else (0, 0)
        if hallado != esperado:
            errores.append(
                f"departamento {dep}: se esperaban {esperado[0]} municipios y "
                f"{esperado[1]} provincias, el archivo trae {hallado[0]} y {hallado[1]}"
            )
    return errores


def _asignar_unidades(df: gpd.GeoDataFrame, reglas: ReglasTerritorio) -> list[str]:
    """Each municipality's unit: its assignment if it has one, else its department's unit."""
    por_departamento = {
        u["departamento_codigo"]: u["codigo"]
        for u in reglas.unidades
        if u["tipo"] == "departamental"
    }
    codigos_unidad = {u["codigo"] for u in reglas.unidades}
    errores = [
        f"municipios_unidad_operativa.csv: unidad '{u}' (de {c}) no está en unidades_operativas.csv"
        for c, u in reglas.asignaciones.items()
        if u not in codigos_unidad
    ]
    errores += [
        f"municipios_unidad_operativa.csv: el municipio {c} no está en el archivo"
        for c in sorted(set(reglas.asignaciones) - set(df["codigo"]))
    ]
    df["unidad_operativa_codigo"] = [
        reglas.asignaciones.get(c) or por_departamento.get(d)
        for c, d in zip(df["codigo"], df["departamento_codigo"], strict=True)
    ]
    sin_unidad = df[df["unidad_operativa_codigo"].isna()]
    errores += [
        f"municipio {c}: su departamento {d} no tiene unidad operativa"
        for c, d in zip(sin_unidad["codigo"], sin_unidad["departamento_codigo"], strict=True)
    ]
    return errores


def preparar_cuerpos_agua(path: Path) -> gpd.GeoDataFrame:
    gdf = a_wgs84(leer_capa(path), path.name, None)
    nombre = "nombre_tentativo" if "nombre_tentativo" in gdf.columns else "nombre"
    filas = []
    for r in gdf.to_dict("records"):
        geom, _ = reparar(r["geometry"])
        if geom is not None:
            filas.append(
                {
                    "codigo": _codigo(r.get("cod_ine"), 2),
                    "nombre": str(r.get(nombre) or "cuerpo de agua"),
                    "geom": geom,
                }
            )
    return gpd.GeoDataFrame(filas, geometry="geom", crs=4326)
