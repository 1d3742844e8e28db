"""The forms of the web app (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from varcomms.addresses import InvalidAddressError, normalise_email
from varcomms.config import Config
from varcomms.models import OrgType

ORG_TYPE_LABELS = {
    OrgType.GEMEENTE: "Gemeente",
    OrgType.POLITIE: "Politie",
    OrgType.OM: "Openbaar Ministerie",
    OrgType.RIEC: "RIEC",
    OrgType.ZORG_VEILIGHEIDSHUIS: "Zorg- en Veiligheidshuis",
    OrgType.ONDERNEMER: "Ondernemer",
    OrgType.OTHER: "Anders",
}


class CheckboxesField(SelectMultipleField):
    """Themes as a list of checkboxes (a multi-select is hard to use on a keyboard)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ProfileFields:
    """Fields the sign-up form and the preference centre share."""

    name = StringField("Naam", validators=[Optional(), Length(max=200)])
    organisation = StringField("Organisatie", validators=[Optional(), Length(max=200)])
    org_type = SelectField("Soort organisatie", choices=[])
    municipality = SelectField("Gemeente", choices=[], validate_choice=True)
    themes = CheckboxesField("Thema's", choices=[], validate_choice=True)


def fill_choices(form: FlaskForm, config: Config) -> None:
    # No type is preselected: a default would quietly become everyone's answer.
    form.org_type.choices = [("", "Maak een keuze (niet verplicht)")] + [
        (kind.value, label) for kind, label in ORG_TYPE_LABELS.items()
    ]
    form.municipality.choices = [("", "Geen of buiten de regio")] + [
        (name, name) for name in config.municipalities
    ]
    form.themes.choices = [(theme.slug, theme.label) for theme in config.themes]


class SubscribeForm(ProfileFields, FlaskForm):
    email = EmailField("E-mailadres", validators=[DataRequired("Vul uw e-mailadres in.")])
    consent = BooleanField(
        "Ik ga akkoord", validators=[DataRequired("Geef toestemming om u aan te melden.")]
    )
    # A honeypot: hidden from people (and from screen readers); simple bots fill it in.
    website = StringField("Laat dit veld leeg", validators=[Optional()])
    submit = SubmitField("Aanmelden")

    normalised_email: str = ""

    def validate_email(self, field: EmailField) -> None:
        try:
            self.normalised_email = normalise_email(field.data or "")
        except InvalidAddressError as err:
            raise ValidationError("Dit is geen geldig e-mailadres.") from err


class PreferencesForm(ProfileFields, FlaskForm):
    submit = SubmitField("Voorkeuren opslaan")


class PauseForm(FlaskForm):
    months = SelectField("Pauzeer de nieuwsbrief", choices=[], coerce=int)
    submit = SubmitField("Pauze instellen")


class UnsubscribeForm(FlaskForm):
    reason = TextAreaField(
        "Waarom meldt u zich af? (niet verplicht)", validators=[Optional(), Length(max=500)]
    )
    submit = SubmitField("Afmelden")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Bevestig mijn aanmelding")
