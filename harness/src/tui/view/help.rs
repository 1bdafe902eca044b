//! Help overlay (`?`): the key map from `app::keys::KEY_HELP`, centred over whatever is drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use crate::tui::app::KEY_HELP;

pub(crate) fn render(area: Rect, buf: &mut Buffer) {
    let width = area.width.min(72);
    let height = area.height.min(KEY_HELP.len() as u16 + 4);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(popup, buf);
    let mut lines: Vec<Line> = KEY_HELP
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(
                    format!("{key:>11}  "),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "esc or ? closes",
        Style::new().fg(Color::DarkGray),
    ));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title("Keys")
                .border_style(Style::new().fg(Color::Cyan)),
        )
        .render(popup, buf);
}
