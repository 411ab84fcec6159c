from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from venture.core.forms import choices, email_field, max_length, one_line
from venture.core.l10n import lazy_gettext as _l

REQUIRED = _l("This field is required.")

COMMON_TIMEZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei",
                    "Asia/Urumqi", "UTC", "Europe/London", "America/New_York"]


def _password(label: object, autocomplete: str = "new-password") -> PasswordField:
    return PasswordField(label, validators=[InputRequired(REQUIRED),
                                            Length(max=200, message=_l("At most %(max)d characters."))],
                         render_kw={"autocomplete": autocomplete})


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), max_length(80)],
                               filters=[one_line], render_kw={"autocomplete": "name"},
                               description=_l("Shown with your comments. You may use a nickname."))
    email = email_field(_l("E-mail address"), validators=[DataRequired(REQUIRED)])
    password = _password(_l("Password"))
    password_again = PasswordField(
        _l("Password again"),
        validators=[InputRequired(REQUIRED), EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class LoginForm(FlaskForm):
    email = email_field(_l("E-mail address"), validators=[DataRequired(REQUIRED)],
                        render_kw={"autocomplete": "username"})
    password = _password(_l("Password"), autocomplete="current-password")
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = email_field(_l("E-mail address"), validators=[DataRequired(REQUIRED)])


class ResetPasswordForm(FlaskForm):
    password = _password(_l("New password"))
    password_again = PasswordField(
        _l("New password again"),
        validators=[InputRequired(REQUIRED), EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = _password(_l("Current password"), autocomplete="current-password")
    password = _password(_l("New password"))
    password_again = PasswordField(
        _l("New password again"),
        validators=[InputRequired(REQUIRED), EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class ChangeEmailForm(FlaskForm):
    new_email = email_field(_l("New e-mail address"), validators=[DataRequired(REQUIRED)])
    password = _password(_l("Current password"), autocomplete="current-password")


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), max_length(80)],
                               filters=[one_line], render_kw={"autocomplete": "name"})
    locale = SelectField(_l("Language"), choices=choices([("", _l("As my browser asks")),
                                                           ("zh_CN", "中文"), ("en", "English")]))
    timezone = SelectField(_l("Time zone"), choices=choices((z, z) for z in COMMON_TIMEZONES))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        current = self.timezone.data or (kwargs.get("obj") and getattr(kwargs["obj"], "timezone", None))
        if current and current not in COMMON_TIMEZONES and current in available_timezones():
            self.timezone.choices = [*self.timezone.choices, *choices([(current, current)])]


class DeleteAccountForm(FlaskForm):
    password = _password(_l("Current password"), autocomplete="current-password")
    confirm = BooleanField(_l("I understand that this cannot be undone"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for one-button actions."""


# Two-factor sign-in ---------------------------------------------------------------

def _one_time_code(label: object, description: object = None, numeric: bool = False) -> StringField:
    attributes = {"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
    if numeric:
        attributes["inputmode"] = "numeric"
    return StringField(label, validators=[DataRequired(REQUIRED), max_length(40)], description=description,
                       render_kw=attributes)


class SecondFactorForm(FlaskForm):
    """The second step of logging in."""
    code = _one_time_code(_l("Code"), _l("The 6-digit code your authenticator app shows now, or one of "
                                         "your recovery codes."))


class ConfirmTwoFactorForm(FlaskForm):
    code = _one_time_code(_l("Code from the app"),
                          _l("The 6-digit code the app shows after you add the account."), numeric=True)


class DisableTwoFactorForm(FlaskForm):
    password = _password(_l("Current password"), autocomplete="current-password")
    code = _one_time_code(_l("Code from the app or a recovery code"))


class RegenerateCodesForm(FlaskForm):
    # Its own name: this form shares a page with DisableTwoFactorForm's "code".
    regenerate_code = _one_time_code(_l("Code from the app"), numeric=True)
