// The `./users.js` of the @baton/express README's complete example.
export interface User {
  id: string
  role: string
  scopes: string
}
export declare function findUser(username: string): Promise<User | undefined>
export declare function checkPassword(user: User, password: string): Promise<boolean>
