"""ogpipe's CKAN test plugin: what ckanext-fluent provides, and a Registry-like mode.

ckanext-fluent's PyPI release is Python 2 only, so the bilingual test schema needs these
validators from somewhere. They keep fluent's names (`fluent_text`, `fluent_core_translated`,
`fluent_tags` and their `_output` twins) and fluent's presets, so that a ckanext-scheming schema
written for the Government of Canada portal loads unchanged, and they answer with the messages a
fluent portal gives (`Required language "fr" missing`, and `<field>-<lang>: Missing value` when
the field is absent).

Translated values are `{"en": ..., "fr": ...}` objects (tags: `{"en": [...], "fr": [...]}`),
stored as JSON text in the dataset's extras or the resource's columns, and returned as objects.
Required languages: a field's own `required_languages` list, else every language of
`form_languages` (field or schema) when the field is `required: true`.

Registry mode (`ckanext.ogpipetest.registry_mode = true`): like the Government of Canada Registry,
every create and update is forced to `private = true` whatever the client sends, and
`date_published` reads back as `YYYY-MM-DD 00:00:00`. Off by default.
"""

import json
import re

import ckan.plugins as p
import ckan.plugins.toolkit as tk

try:
    from ckanext.scheming.validation import scheming_validator
except ImportError:  # scheming absent (core mode): the validators are then unused
    def scheming_validator(fn):
        fn.is_a_scheming_validator = True
        return fn

missing = tk.missing
Invalid = tk.Invalid
_ = tk._

REGISTRY_MODE_KEY = "ckanext.ogpipetest.registry_mode"
DEFAULT_LANGUAGES = ["en", "fr"]
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _languages(field, schema):
    return field.get("form_languages") or schema.get("form_languages") or DEFAULT_LANGUAGES


def _required_languages(field, schema):
    if "required_languages" in field:
        return list(field["required_languages"])
    if field.get("required"):
        return list(_languages(field, schema))
    return []


def _is_empty(value):
    return value is missing or value is None or value == "" or value == [] or value == {}


def _lang_key(key, lang):
    # fluent reports an absent field per language, as its form's inputs are named
    return key[:-1] + ("%s-%s" % (key[-1], lang),)


def _as_object(value):
    """A translated value as a dict: an object, or JSON text of one (form posts, multipart)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None
    return None


def _from_form(key, data, langs):
    """`title_translated-en` style keys, as the web form (and fluent) sends them."""
    found = {}
    extras = data.get(key[:-1] + ("__extras",)) or {}
    for lang in langs:
        k = "%s-%s" % (key[-1], lang)
        v = data.get(key[:-1] + (k,), extras.get(k, missing))
        if v is not missing:
            found[lang] = v
    return found


@scheming_validator
def fluent_text(field, schema):
    """A translated text: an object of language -> non-empty string, stored as JSON text."""
    langs = _languages(field, schema)
    required = _required_languages(field, schema)

    def validator(key, data, errors, context):
        if errors.get(key):
            return
        value = data.get(key, missing)
        if _is_empty(value):
            value = _from_form(key, data, langs)
            if not value:
                for lang in required:
                    errors[_lang_key(key, lang)] = [_("Missing value")]
                if not required:
                    # convert_to_extras needs a value: an optional absent field stores {}
                    data[key] = json.dumps({})
                return
        obj = _as_object(value)
        if obj is None:
            errors[key].append(_("expecting JSON object"))
            return
        for lang, text in obj.items():
            if lang not in langs:
                errors[key].append(_('unexpected language "%s"') % lang)
            elif text is not None and not isinstance(text, str):
                errors[key].append(_('language "%s" must be a string') % lang)
        for lang in required:
            text = obj.get(lang)
            if not isinstance(text, str) or not text.strip():
                errors[key].append(_('Required language "%s" missing') % lang)
        if errors[key]:
            return
        data[key] = json.dumps({k: v for k, v in obj.items() if v}, ensure_ascii=False)

    return validator


def fluent_text_output(value):
    obj = _as_object(value)
    return obj if obj is not None else value


@scheming_validator
def fluent_core_translated_output(field, schema):
    """The object back, and the core field (`title` for `title_translated`) in the site's
    default language, as fluent fills it so that core templates and search see text."""
    core = field["field_name"]
    core = core[: -len("_translated")] if core.endswith("_translated") else None

    def validator(key, data, errors, context):
        obj = _as_object(data.get(key))
        if obj is None:
            return
        data[key] = obj
        if core:
            default = tk.config.get("ckan.locale_default") or "en"
            text = obj.get(default) or next((v for v in obj.values() if v), None)
            if text:
                data[key[:-1] + (core,)] = text

    return validator


@scheming_validator
def fluent_tags(field, schema):
    """Translated keywords: language -> list of tags (or comma-separated text), each tag passing
    CKAN's own tag rules (length, characters), stored as JSON text."""
    langs = _languages(field, schema)
    required = _required_languages(field, schema)
    tag_length = tk.get_validator("tag_length_validator")
    tag_name = tk.get_validator("tag_name_validator")

    def validator(key, data, errors, context):
        if errors.get(key):
            return
        value = data.get(key, missing)
        if _is_empty(value):
            value = _from_form(key, data, langs)
            if not value:
                for lang in required:
                    errors[_lang_key(key, lang)] = [_("Missing value")]
                if not required:
                    data[key] = json.dumps({})
                return
        obj = _as_object(value)
        if obj is None:
            errors[key].append(_("expecting JSON object"))
            return
        clean = {}
        for lang, tags in obj.items():
            if lang not in langs:
                errors[key].append(_('unexpected language "%s"') % lang)
                continue
            if isinstance(tags, str):
                tags = [t.strip() for t in tags.split(",") if t.strip()]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                errors[key].append(_('language "%s" must be a list of strings') % lang)
                continue
            for tag in tags:
                for check in (tag_length, tag_name):
                    try:
                        check(tag, context)
                    except Invalid as e:
                        errors[key].append("%s: %s" % (lang, e.error))
            clean[lang] = tags
        for lang in required:
            if not clean.get(lang):
                errors[key].append(_('Required language "%s" missing') % lang)
        if errors[key]:
            return
        data[key] = json.dumps(clean, ensure_ascii=False)

    return validator


def fluent_tags_output(value):
    obj = _as_object(value)
    return obj if obj is not None else value


def _registry_mode():
    return tk.asbool(tk.config.get(REGISTRY_MODE_KEY, False))


@tk.chained_action
def package_create(original, context, data_dict):
    if _registry_mode():
        data_dict = dict(data_dict, private=True)
    return original(context, data_dict)


@tk.chained_action
def package_update(original, context, data_dict):
    # package_patch goes through package_update, so this covers it too.
    if _registry_mode():
        data_dict = dict(data_dict, private=True)
    return original(context, data_dict)


class OgpipeTestPlugin(p.SingletonPlugin):
    p.implements(p.IValidators)
    p.implements(p.IActions)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IConfigDeclaration, inherit=True)

    def get_validators(self):
        return {
            "fluent_text": fluent_text,
            "fluent_text_output": fluent_text_output,
            "fluent_core_translated_output": fluent_core_translated_output,
            "fluent_tags": fluent_tags,
            "fluent_tags_output": fluent_tags_output,
        }

    def get_actions(self):
        return {"package_create": package_create, "package_update": package_update}

    def declare_config_options(self, declaration, key):
        declaration.declare_bool(key.ckanext.ogpipetest.registry_mode, False)

    def after_dataset_show(self, context, pkg_dict):
        if _registry_mode():
            value = pkg_dict.get("date_published")
            if isinstance(value, str) and DATE_ONLY.match(value):
                pkg_dict["date_published"] = value + " 00:00:00"
        return pkg_dict
