{#-
    The distinctive words of an employer's or council's name, sorted: lower case, split on
    anything but letters and digits, without the words that say what kind of body it is
    ('council', 'borough', 'city' ...). Two names are "named alike" when their words are
    equal: 'COUNTY OF HEREFORDSHIRE DISTRICT COUNCIL' and 'Herefordshire Council' are,
    'BIRMINGHAM CITY UNIVERSITY' and 'Birmingham City Council' are not. The same rule as
    councilbench.public.gender_pay_gap_match (GENERIC_WORDS there; a test keeps them equal).
-#}
{% macro gpg_generic_words() -%}
    {{ return(['the', 'of', 'and', 'council', 'councils', 'city', 'borough', 'metropolitan', 'district', 'county',
               'unitary', 'authority', 'mbc', 'bc', 'dc', 'cc', 'corporation', 'royal']) }}
{%- endmacro %}

{% macro gpg_name_words(name) -%}
array(
    select distinct w.word
    from regexp_split_to_table(lower(coalesce({{ name }}, '')), '[^a-z0-9]+') as w (word)
    where w.word <> ''
      and w.word <> all (array[{% for g in gpg_generic_words() %}'{{ g }}'{% if not loop.last %}, {% endif %}{% endfor %}])
    order by w.word
)
{%- endmacro %}
