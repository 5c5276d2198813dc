"""The public return-visit survey (/survey/<token>): the reporting party rates how their matter was handled.

No login: the one-time link texted to them is the credential. A used or expired link answers 410.
"""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import ConflictError, InvalidInputError
from engine.surveys import MAX_COMMENT, answer_survey, get_survey

survey_pages = Blueprint("survey_pages", __name__)
LEVELS = [("satisfied", _l("Satisfied")), ("basically_satisfied", _l("Basically satisfied")),
          ("unsatisfied", _l("Unsatisfied"))]


def _render(token: str, survey, status: int = 200, **state):
    return render_template("survey.html", token=token, survey=survey, levels=LEVELS, max_comment=MAX_COMMENT,
                           values=state.get("values", {}), errors=state.get("errors", {}),
                           notice=state.get("notice")), status


@survey_pages.get("/survey/<token>")
def page(token: str):
    survey = get_survey(token)
    return _render(token, survey, 200 if survey.state == "open" else 410)


@survey_pages.post("/survey/<token>")
def answer(token: str):
    values = {"satisfaction": request.form.get("satisfaction", ""), "comment": request.form.get("comment", "")}
    try:
        survey = answer_survey(token=token, **values)
    except InvalidInputError as error:
        errors = {field: [_("Choose one of the answers.") if field == "satisfaction"
                          else _("Write at most %(count)d characters.", count=MAX_COMMENT)]
                  for field in error.details}
        return _render(token, get_survey(token), 422, values=values, errors=errors)
    except ConflictError:
        return _render(token, get_survey(token), 410)
    return _render(token, survey, notice=_("Thank you. Your answer has been recorded."))
