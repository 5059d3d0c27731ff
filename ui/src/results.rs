//! The words of a ward's public "You said, we did" page, in every
//! language the forms ship in. The measures' own words are the forms'
//! questions, already in each language.

/// The page's words in one language.
#[derive(Debug)]
pub struct Words {
    /// The language's tag.
    pub lang: &'static str,
    /// Whether it reads right to left.
    pub rtl: bool,
    /// The heading, before the ward's name.
    pub title: &'static str,
    /// Under the heading.
    pub intro: &'static str,
    /// The measures' heading.
    pub you_said: &'static str,
    /// The measures table's first column.
    pub question: &'static str,
    /// Shown for a figure that is held back.
    pub too_few: &'static str,
    /// The responses row: people who answered in a quarter, rounded.
    pub people: &'static str,
    /// The themes' heading.
    pub raised: &'static str,
    /// The themes table's column of answers that raised it.
    pub mentions: &'static str,
    /// When no theme can be shown.
    pub no_themes: &'static str,
    /// The actions' heading.
    pub we_did: &'static str,
    /// Before an action's date.
    pub done_on: &'static str,
    /// Before an action's themes.
    pub about: &'static str,
    /// When there is no action yet.
    pub nothing_yet: &'static str,
    /// How the figures are made and protected; `{min}` stands for the
    /// threshold under which nothing is shown.
    pub method: &'static str,
    /// The link to answer the survey.
    pub have_your_say: &'static str,
    /// Above the language links.
    pub other_languages: &'static str,
    /// When no quarter has enough answers.
    pub no_results: &'static str,
}

const EN: Words = Words {
    lang: "en",
    rtl: false,
    title: "You said, we did:",
    intro: "What people who live in, work in and visit this ward told the City of London Police over the last four quarters, and what the police did about it.",
    you_said: "What you told us",
    question: "Question",
    too_few: "Too few answers to show",
    people: "People who answered (rounded to the nearest 10)",
    raised: "What you raised most",
    mentions: "Answers that raised it (rounded to the nearest 10)",
    no_themes: "Too few comments yet to show what people raised.",
    we_did: "What we did",
    done_on: "Done on",
    about: "About",
    nothing_yet: "Nothing recorded for this ward yet.",
    method: "Figures are the share of people who answered each question, for whole quarters only. Numbers are rounded, and nothing based on fewer than {min} answers is shown (nor anything that would let such a number be worked out), so no one's answers can be picked out.",
    have_your_say: "Have your say",
    other_languages: "Other languages",
    no_results: "Not enough people have answered in this ward yet to show results.",
};

const PL: Words = Words {
    lang: "pl",
    rtl: false,
    title: "Powiedzieliście, zrobiliśmy:",
    intro: "Co osoby mieszkające, pracujące i odwiedzające ten okręg przekazały policji City of London w ostatnich czterech kwartałach i co policja z tym zrobiła.",
    you_said: "Co nam powiedzieliście",
    question: "Pytanie",
    too_few: "Za mało odpowiedzi, by je pokazać",
    people: "Osoby, które odpowiedziały (w zaokrągleniu do 10)",
    raised: "Co zgłaszaliście najczęściej",
    mentions: "Odpowiedzi, które o tym mówiły (w zaokrągleniu do 10)",
    no_themes: "Na razie za mało komentarzy, by pokazać, co zgłaszano.",
    we_did: "Co zrobiliśmy",
    done_on: "Data",
    about: "Dotyczy",
    nothing_yet: "Dla tego okręgu nic jeszcze nie zapisano.",
    method: "Liczby to odsetek osób, które odpowiedziały na dane pytanie, tylko za pełne kwartały. Liczby są zaokrąglone i nie pokazujemy niczego, co opiera się na mniej niż {min} odpowiedziach (ani niczego, co pozwoliłoby taką liczbę odtworzyć), więc nie da się wskazać niczyich odpowiedzi.",
    have_your_say: "Wypełnij ankietę",
    other_languages: "Inne języki",
    no_results: "W tym okręgu odpowiedziało na razie za mało osób, by pokazać wyniki.",
};

const ES: Words = Words {
    lang: "es",
    rtl: false,
    title: "Usted dijo, nosotros hicimos:",
    intro: "Lo que las personas que viven, trabajan y visitan este distrito dijeron a la Policía de la City of London en los últimos cuatro trimestres, y lo que la policía hizo al respecto.",
    you_said: "Lo que nos dijo",
    question: "Pregunta",
    too_few: "Muy pocas respuestas para mostrarlo",
    people: "Personas que respondieron (redondeado a la decena)",
    raised: "Lo que más mencionó",
    mentions: "Respuestas que lo mencionaron (redondeado a la decena)",
    no_themes: "Todavía hay muy pocos comentarios para mostrar lo que se mencionó.",
    we_did: "Lo que hicimos",
    done_on: "Fecha",
    about: "Sobre",
    nothing_yet: "Todavía no hay nada registrado para este distrito.",
    method: "Las cifras son el porcentaje de personas que respondieron a cada pregunta, solo de trimestres completos. Los números están redondeados y no se muestra nada basado en menos de {min} respuestas (ni nada que permita deducir esa cifra), así que no se puede identificar la respuesta de nadie.",
    have_your_say: "Dé su opinión",
    other_languages: "Otros idiomas",
    no_results: "Todavía no han respondido suficientes personas en este distrito para mostrar resultados.",
};

const BN: Words = Words {
    lang: "bn",
    rtl: false,
    title: "আপনি বলেছেন, আমরা করেছি:",
    intro: "এই ওয়ার্ডে যাঁরা থাকেন, কাজ করেন ও বেড়াতে আসেন, তাঁরা গত চার ত্রৈমাসিকে সিটি অব লন্ডন পুলিশকে কী বলেছেন, আর পুলিশ সে বিষয়ে কী করেছে।",
    you_said: "আপনারা আমাদের যা বলেছেন",
    question: "প্রশ্ন",
    too_few: "দেখানোর মতো যথেষ্ট উত্তর নেই",
    people: "যাঁরা উত্তর দিয়েছেন (নিকটতম ১০-এ পূর্ণসংখ্যা)",
    raised: "আপনারা সবচেয়ে বেশি যা তুলেছেন",
    mentions: "যে উত্তরে এটি এসেছে (নিকটতম ১০-এ পূর্ণসংখ্যা)",
    no_themes: "কী তোলা হয়েছে তা দেখানোর মতো যথেষ্ট মন্তব্য এখনও নেই।",
    we_did: "আমরা যা করেছি",
    done_on: "তারিখ",
    about: "বিষয়",
    nothing_yet: "এই ওয়ার্ডের জন্য এখনও কিছু লেখা হয়নি।",
    method: "সংখ্যাগুলো প্রতিটি প্রশ্নের উত্তরদাতাদের শতাংশ, শুধু পূর্ণ ত্রৈমাসিকের। সংখ্যা পূর্ণসংখ্যায় আনা হয়েছে, আর {min}টির কম উত্তরের ভিত্তিতে কিছু দেখানো হয় না (এমন কিছুও নয় যা থেকে সেই সংখ্যা বের করা যায়), তাই কারও উত্তর আলাদা করে চেনা যায় না।",
    have_your_say: "আপনার মতামত দিন",
    other_languages: "অন্যান্য ভাষা",
    no_results: "ফলাফল দেখানোর মতো যথেষ্ট মানুষ এই ওয়ার্ডে এখনও উত্তর দেননি।",
};

const AR: Words = Words {
    lang: "ar",
    rtl: true,
    title: "قلتم، وفعلنا:",
    intro: "ما قاله من يسكنون هذه الدائرة أو يعملون فيها أو يزورونها لشرطة مدينة لندن خلال الأرباع الأربعة الأخيرة، وما فعلته الشرطة حيال ذلك.",
    you_said: "ما قلتموه لنا",
    question: "السؤال",
    too_few: "الإجابات أقل من أن تُعرض",
    people: "من أجابوا (مقرّبًا إلى أقرب 10)",
    raised: "أكثر ما أثرتموه",
    mentions: "الإجابات التي أثارته (مقرّبة إلى أقرب 10)",
    no_themes: "التعليقات ما زالت أقل من أن نعرض ما أُثير.",
    we_did: "ما فعلناه",
    done_on: "التاريخ",
    about: "بشأن",
    nothing_yet: "لم يُسجَّل شيء لهذه الدائرة بعد.",
    method: "الأرقام هي نسبة من أجابوا عن كل سؤال، للأرباع الكاملة فقط. الأعداد مقرّبة، ولا يُعرض أي شيء مبني على أقل من {min} إجابات (ولا ما يسمح باستنتاج مثل هذا العدد)، فلا يمكن تمييز إجابة أي شخص.",
    have_your_say: "أبدِ رأيك",
    other_languages: "لغات أخرى",
    no_results: "لم يُجب عدد كافٍ من الناس في هذه الدائرة بعد لعرض النتائج.",
};

const ALL: [&Words; 5] = [&EN, &PL, &ES, &BN, &AR];

/// The words in `lang`, or English.
pub fn words(lang: &str) -> &'static Words {
    ALL.iter().find(|w| w.lang == lang).copied().unwrap_or(&EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_of_the_forms_has_every_word() {
        for lang in ["en", "pl", "es", "bn", "ar"] {
            let w = words(lang);
            assert_eq!(w.lang, lang);
            assert_eq!(w.rtl, crate::i18n::is_rtl(lang));
            assert!(w.method.contains("{min}"), "{lang}");
            for s in [
                w.title,
                w.intro,
                w.you_said,
                w.question,
                w.too_few,
                w.people,
                w.raised,
                w.mentions,
                w.no_themes,
                w.we_did,
                w.done_on,
                w.about,
                w.nothing_yet,
                w.method,
                w.have_your_say,
                w.other_languages,
                w.no_results,
            ] {
                assert!(!s.trim().is_empty(), "{lang}");
            }
        }
        assert_eq!(words("xx").lang, "en");
    }
}
