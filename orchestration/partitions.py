"""Collection years, the partitions of ingestion: HEARTH_COLLECTION_YEARS, read when the code
location loads, since partitions are part of the asset graph."""

import dagster as dg

from orchestration.settings import collection_years

collection_year_partitions = dg.StaticPartitionsDefinition([str(year) for year in collection_years()])
