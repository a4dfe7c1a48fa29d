"""The good practice library (issue 17): case studies kept as reviewed files in the
repository (case_studies/<id>.yml, one each, schema in case_studies/schema.json),
checked here and compiled into the dbt seeds the marts read.

files.py reads the folder (YAML with dates kept as written), checks.py says in plain
words what is wrong with a file and which field (the schema, then the registry and the
catalogue), case_study.py is the checked case study, and seeds.py compiles the case
studies into case_studies.csv, case_study_metrics.csv and case_study_outcomes.csv and
says whether the committed seeds are what the files compile to.
"""
