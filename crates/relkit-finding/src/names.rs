//! The names of fieldless enums, written once: every crate of the workspace names its phases,
//! formats, kinds and statuses with the same three pieces (a name accessor, `Display` through
//! it, `FromStr` back), and [`names!`](crate::names) writes them from one table.

/// Writes a fieldless enum's names from one table of `Variant => "name"` rows: the name
/// accessor (its name and rustdoc are the caller's), `Display` that writes the name and, when
/// `unknown = Error` is given, `FromStr` that takes exactly a listed name back and refuses any
/// other text with `Error(text)` (a tuple struct holding the text).
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum Shape {
///     Round,
///     Square,
/// }
///
/// #[derive(Debug, PartialEq, Eq)]
/// struct UnknownShape(String);
///
/// relkit_finding::names! {
///     Shape, unknown = UnknownShape,
///     /// The name of the shape.
///     fn name {
///         Round => "round",
///         Square => "square",
///     }
/// }
///
/// assert_eq!(Shape::Square.name(), "square");
/// assert_eq!(Shape::Round.to_string(), "round");
/// assert_eq!("square".parse::<Shape>(), Ok(Shape::Square));
/// assert_eq!("Square".parse::<Shape>(), Err(UnknownShape("Square".to_owned())));
/// ```
#[macro_export]
macro_rules! names {
    (
        $ty:ident, unknown = $err:ident,
        $(#[$doc:meta])* fn $accessor:ident { $( $variant:ident => $name:literal ),+ $(,)? }
    ) => {
        $crate::names! { $ty, $(#[$doc])* fn $accessor { $( $variant => $name ),+ } }

        impl ::core::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> ::core::result::Result<Self, $err> {
                match s {
                    $( $name => Ok($ty::$variant), )+
                    _ => Err($err(s.to_owned())),
                }
            }
        }
    };
    (
        $ty:ident,
        $(#[$doc:meta])* fn $accessor:ident { $( $variant:ident => $name:literal ),+ $(,)? }
    ) => {
        impl $ty {
            $(#[$doc])*
            pub fn $accessor(self) -> &'static str {
                match self {
                    $( $ty::$variant => $name, )+
                }
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.$accessor())
            }
        }
    };
}
